/**
 * A GraphiQL sidebar plugin listing the saved example operations (gateway/explorer/examples/
 * <persona>/*.graphql), the signed-in persona's first. Opening one puts it in a new tab, so
 * the operation being edited is kept.
 */
import { useGraphiQL, useGraphiQLActions, type GraphiQLPlugin } from '@graphiql/react';
import type { ReactElement } from 'react';
import type { Example, ExampleGroup } from './session.js';

function ExamplesIcon(): ReactElement {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M5 4h11l3 3v13H5z" />
      <path d="M8 10h8M8 13h8M8 16h5" />
    </svg>
  );
}

function ExamplesPane({ groups, persona }: { groups: ExampleGroup[]; persona: string | null }): ReactElement {
  const actions = useGraphiQLActions();
  const queryEditor = useGraphiQL((state) => state.queryEditor);
  const open = (example: Example) => {
    actions.addTab();
    queryEditor?.setValue(example.query);
  };
  return (
    <section className="explorer-examples" aria-label="Examples">
      <div className="graphiql-doc-explorer-title">Examples</div>
      <p>Saved operations for each persona. Each runs as that persona against the demo data.</p>
      {groups.map((group) => (
        <div key={group.persona}>
          <h3>
            {group.label}
            {group.persona === persona ? ' (you)' : ''}
          </h3>
          <ul>
            {group.examples.map((example) => (
              <li key={example.name}>
                <button type="button" className="explorer-example" data-example={`${group.persona}/${example.name}`} onClick={() => open(example)}>
                  {example.title}
                </button>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

/** The plugin for these groups, the persona's own first. */
export function examplesPlugin(groups: ExampleGroup[], persona: string | null): GraphiQLPlugin {
  const ordered = [...groups.filter((group) => group.persona === persona), ...groups.filter((group) => group.persona !== persona)];
  return {
    title: 'Examples',
    icon: ExamplesIcon,
    content: () => <ExamplesPane groups={ordered} persona={persona} />,
  };
}
