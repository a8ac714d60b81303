import { ValidationFailed } from '@tamkeen/http-kit';
import type { ClientMetadata as OidcClientMetadata } from 'oidc-provider';
import type { MetadataCheck } from '../clients/client-registry.js';
import type { IdentityProviders } from '../identity-providers.js';

// oidc-provider names metadata fields; the API names some differently.
const API_FIELD: Record<string, string> = { client_name: 'name', scope: 'scopes' };

/**
 * Metadata checked by the issuer that will load it (oidc-provider's own client schema), so that
 * what the API writes always loads; what it refuses is a 400 naming the field, before any write.
 */
export function providerCheck(providers: IdentityProviders): MetadataCheck {
  return async (issuer, { clientId, organisationId, metadata }) => {
    try {
      await providers[issuer].Client.validate({ ...metadata, client_id: clientId, organisation_id: organisationId } as OidcClientMetadata);
    } catch (error) {
      const reason = (error as { error_description?: string }).error_description ?? 'is not accepted by the issuer';
      const field = /^([a-z_]+) /.exec(reason)?.[1];
      throw new ValidationFailed([{ name: field ? (API_FIELD[field] ?? field) : '(body)', reason }]);
    }
  };
}
