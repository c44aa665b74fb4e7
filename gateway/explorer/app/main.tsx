/**
 * The explorer's entry point: monaco's workers, GraphiQL's styles, then the page, once the
 * gateway has said which personas and examples it offers.
 */
import './workers.js';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './styles.css';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import type { ExplorerConfig } from './session.js';

async function main(): Promise<void> {
  const root = createRoot(document.getElementById('root')!);
  try {
    const response = await fetch('/graphiql/explorer.json');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    root.render(<App config={(await response.json()) as ExplorerConfig} />);
  } catch (error) {
    root.render(
      <p className="explorer-error" role="alert">
        The explorer could not load its settings from the gateway: {error instanceof Error ? error.message : String(error)}
      </p>,
    );
  }
}

void main();
