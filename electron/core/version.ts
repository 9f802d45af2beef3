declare const __PETREL_VERSION__: string | undefined;

/** Set by the build from package.json; tests and unbuilt runs see a dev version. */
export const PETREL_VERSION: string = typeof __PETREL_VERSION__ === 'string' ? __PETREL_VERSION__ : '0.0.0-dev';
