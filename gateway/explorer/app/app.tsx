/**
 * The page: the sign-in panel and the request scope (tenant, purpose of use) above GraphiQL.
 * Every request GraphiQL sends — operations and the introspection behind the docs pane —
 * goes through one fetcher that adds the session's headers, so the docs show the schema as
 * this principal may see it. A new fetcher (another principal or tenant) makes GraphiQL
 * introspect again.
 */
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { useMemo, useRef, useState, type ReactElement } from 'react';
import { examplesPlugin } from './examples-plugin.js';
import { SignInPanel } from './sign-in.js';
import {
  GRAPHQL_URL,
  namespacedStorage,
  postJson,
  requestHeaders,
  type ExplorerConfig,
  type FetchLike,
  type GraphQLResult,
  type RequestScope,
  type Session,
  type TenantOption,
} from './session.js';

/**
 * What GraphiQL calls for every request. Declared here: GraphiQL's own type comes from
 * @graphiql/toolkit, which this project's module resolution does not see (it reads as `any`).
 */
type Fetcher = (params: unknown, options?: { headers?: Record<string, unknown> }) => Promise<GraphQLResult>;

const WELCOME = `# CareGraph explorer
#
# Sign in above, pick a tenant to act in (or none: platform or partner level), and open an
# example from the Examples pane on the left, or write your own operation here.
# Fields you may not read come back null with an error that says why.
`;

const browserFetch: FetchLike = (url, init) => fetch(url, init);
const storage = namespacedStorage(localStorage, 'caregraph-explorer:');

/** The fetcher of a session: its headers, then those of GraphiQL's header editor (which win). */
function fetcherFor(session: Session | null, tenantId: string | null, purpose: { current: string }): Fetcher {
  return async (params, options) => {
    if (!session) return { errors: [{ message: 'Sign in first (the panel above)' }] };
    const extra = Object.fromEntries(Object.entries(options?.headers ?? {}).map(([name, value]) => [name, String(value)]));
    const { result } = await postJson(browserFetch, GRAPHQL_URL, params, { ...requestHeaders(session, { tenantId, purpose: purpose.current }), ...extra });
    return result;
  };
}

function ScopeBar(props: { tenants: TenantOption[]; note: string | null; scope: RequestScope; onChange: (scope: RequestScope) => void }): ReactElement {
  const { tenants, note, scope, onChange } = props;
  return (
    <div className="explorer-scope">
      <label>
        Tenant{' '}
        <select aria-label="Tenant" value={scope.tenantId ?? ''} onChange={(event) => onChange({ ...scope, tenantId: event.target.value || null })}>
          <option value="">none (platform or partner level; a tenant user acts in their own)</option>
          {tenants.map((tenant) => (
            <option key={tenant.id} value={tenant.id}>
              {tenant.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Purpose of use{' '}
        <input aria-label="Purpose of use" list="explorer-purposes" value={scope.purpose} maxLength={100} placeholder="e.g. treatment" onChange={(event) => onChange({ ...scope, purpose: event.target.value })} />
        <datalist id="explorer-purposes">
          <option value="treatment" />
          <option value="operations" />
          <option value="payment" />
        </datalist>
      </label>
      {note && <span className="explorer-note">{note}</span>}
    </div>
  );
}

export function App({ config }: { config: ExplorerConfig }): ReactElement {
  const [session, setSession] = useState<Session | null>(null);
  const [tenants, setTenants] = useState<TenantOption[]>([]);
  const [note, setNote] = useState<string | null>(null);
  const [scope, setScope] = useState<RequestScope>({ tenantId: null, purpose: '' });
  // A new GraphiQL for each principal: the last one's answers must not stay on screen.
  const [generation, setGeneration] = useState(0);
  // Read at each request: typing a purpose must not make GraphiQL introspect at every key.
  const purpose = useRef(scope.purpose);
  purpose.current = scope.purpose;

  const fetcher = useMemo(() => fetcherFor(session, scope.tenantId, purpose), [session, scope.tenantId]);
  const examples = useMemo(() => examplesPlugin(config.examples, session?.persona ?? null), [config.examples, session?.persona]);
  // Passing plugins replaces GraphiQL's default list, which is the history alone: kept here.
  const plugins = useMemo(() => [examples, HISTORY_PLUGIN, explorerPlugin()], [examples]);

  return (
    <div className="explorer">
      <header className="explorer-bar">
        <h1>CareGraph explorer</h1>
        <SignInPanel
          personas={config.personas}
          session={session}
          fetchImpl={browserFetch}
          onSignedIn={(signedIn, listed, listNote) => {
            setGeneration((current) => current + 1);
            setSession(signedIn);
            setTenants(listed);
            setNote(listNote);
            setScope({ tenantId: null, purpose: scope.purpose });
          }}
          onSignOut={() => {
            // Nothing of the last principal stays on the page: its answers, tenants, tenant, note.
            setGeneration((current) => current + 1);
            setSession(null);
            setTenants([]);
            setNote(null);
            setScope({ tenantId: null, purpose: '' });
          }}
        />
        {session && <ScopeBar tenants={tenants} note={note} scope={scope} onChange={setScope} />}
      </header>
      <main className="explorer-main">
        <GraphiQL key={generation} fetcher={fetcher} schema={session ? undefined : null} plugins={plugins} visiblePlugin={examples} storage={storage} defaultQuery={WELCOME} />
      </main>
    </div>
  );
}
