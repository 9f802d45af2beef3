import { Resolver } from 'node:dns/promises';
import type { DiscoveryOptions } from '../core/accounts/discovery';

/**
 * Test and lab overrides for account discovery, from the environment (the product's
 * defaults stay the real ones):
 *   PETREL_AUTOCONFIG_URL  a URL template with {domain} and {email}, tried instead of
 *                          Mozilla's autoconfig locations (http allowed: it is explicit)
 *   PETREL_DNS_SERVERS     comma-separated "ip" or "ip:port" for SRV lookups
 */
export function discoveryOverridesFromEnv(env: NodeJS.ProcessEnv = process.env): DiscoveryOptions {
  const options: DiscoveryOptions = {};
  const template = env.PETREL_AUTOCONFIG_URL;
  if (template) {
    options.autoconfigUrls = (domain, email) => [
      template.replaceAll('{domain}', encodeURIComponent(domain)).replaceAll('{email}', encodeURIComponent(email)),
    ];
  }
  const servers = env.PETREL_DNS_SERVERS?.split(',').map((s) => s.trim()).filter(Boolean);
  if (servers && servers.length > 0) {
    const resolver = new Resolver({ tries: 1 });
    resolver.setServers(servers);
    options.resolveSrv = (name) => resolver.resolveSrv(name);
  }
  return options;
}
