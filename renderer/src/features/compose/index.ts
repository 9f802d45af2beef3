export { ComposeProvider, ComposeButton, useCompose, emptyContent, type ComposeApi } from './ComposeProvider';
export { Composer, type ComposerProps } from './Composer';
export { OutboxView, OutboxButton } from './OutboxView';
export { UndoToasts } from './UndoToasts';
