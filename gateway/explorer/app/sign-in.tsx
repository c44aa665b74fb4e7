/**
 * The sign-in panel: a demo persona (development only: the gateway mints a 15-minute token),
 * a pasted Bearer token, or a pasted API key. Each is checked at once by listing the tenants
 * it may act on, so a malformed or refused credential shows the gateway's message here
 * rather than failing later in an empty result pane.
 */
import { useState, type FormEvent, type ReactElement } from 'react';
import {
  credentialFrom,
  describeToken,
  personaToken,
  signIn,
  type Credential,
  type FetchLike,
  type PersonaOption,
  type Session,
  type TenantOption,
} from './session.js';

type Mode = 'persona' | Credential['kind'];

export interface SignInProps {
  personas: PersonaOption[];
  session: Session | null;
  fetchImpl: FetchLike;
  onSignedIn: (session: Session, tenants: TenantOption[], note: string | null) => void;
  onSignOut: () => void;
}

/** The page's label for a pasted credential: the token's subject, or the key's public prefix. */
function pastedSession(credential: Credential): Session {
  if (credential.kind === 'api-key') {
    return { credential, label: `API key ${credential.key.split('_').slice(0, 2).join('_')}…`, persona: null, expiresAt: null };
  }
  const described = describeToken(credential.token);
  return { credential, label: described?.label ?? 'pasted token', persona: null, expiresAt: described?.expiresAt ?? null };
}

export function SignInPanel({ personas, session, fetchImpl, onSignedIn, onSignOut }: SignInProps): ReactElement {
  const [mode, setMode] = useState<Mode>(personas.length > 0 ? 'persona' : 'bearer');
  const [persona, setPersona] = useState(personas[0]?.id ?? '');
  const [pasted, setPasted] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(): Promise<void> {
    setError(null);
    let candidate: Session;
    if (mode === 'persona') {
      const minted = await personaToken(fetchImpl, persona);
      if ('error' in minted) return setError(`No token for this persona: ${minted.error}`);
      candidate = { credential: { kind: 'bearer', token: minted.token }, label: minted.label, persona, expiresAt: minted.expiresAt };
    } else {
      const credential = credentialFrom(mode, pasted);
      if ('error' in credential) return setError(credential.error);
      candidate = pastedSession(credential);
    }
    const result = await signIn(fetchImpl, candidate.credential);
    if (!result.ok) return setError(`Sign-in refused: ${result.message}`);
    setPasted('');
    onSignedIn(candidate, result.tenants, result.note);
  }

  function onSubmit(event: FormEvent): void {
    event.preventDefault();
    setBusy(true);
    submit()
      .catch((failure: unknown) => setError(`Sign-in failed: ${failure instanceof Error ? failure.message : String(failure)}`))
      .finally(() => setBusy(false));
  }

  if (session) {
    return (
      <div className="explorer-signin" aria-label="Signed in">
        <span className="explorer-who" data-testid="signed-in-as">
          Signed in as <strong>{session.label}</strong>
          {session.expiresAt ? ` · token expires ${new Date(session.expiresAt).toLocaleTimeString()}` : ''}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    );
  }
  return (
    <form className="explorer-signin" aria-label="Sign in" onSubmit={onSubmit}>
      <label>
        Sign in with{' '}
        <select aria-label="Sign-in method" value={mode} onChange={(event) => setMode(event.target.value as Mode)}>
          {personas.length > 0 && <option value="persona">a demo persona</option>}
          <option value="bearer">a Bearer token</option>
          <option value="api-key">an API key (x-api-key)</option>
        </select>
      </label>
      {mode === 'persona' ? (
        <label>
          Persona{' '}
          <select aria-label="Persona" value={persona} onChange={(event) => setPersona(event.target.value)}>
            {personas.map((option) => (
              <option key={option.id} value={option.id}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <label>
          {mode === 'bearer' ? 'Token' : 'API key'}{' '}
          <input
            aria-label={mode === 'bearer' ? 'Token' : 'API key'}
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder={mode === 'bearer' ? 'eyJ…' : 'cgk_…'}
            value={pasted}
            onChange={(event) => setPasted(event.target.value)}
          />
        </label>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      {error && (
        <p className="explorer-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
