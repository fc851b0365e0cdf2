// Picks one of the user's contacts by name; the empty choice means "I'll paste a NodeId instead".
// Contacts come as gestalts (a person's linked browsers). `perPerson` offers one choice per person
// (sharing covers all their browsers); otherwise each browser is a choice of its own (scanning asks
// one browser), named after the person when only a sibling has a nickname. Renders nothing when
// there are no contacts yet.
import { shortId } from '../../format.js';
import { displayName, useNicknames } from '../../contacts-store.js';

interface Props {
  label: string;
  contacts: Array<{ nodes: string[] }> | undefined;
  value: string;
  onChange: (nodeId: string) => void;
  perPerson?: boolean;
}

export function ContactSelect({ label, contacts, value, onChange, perPerson = false }: Props) {
  const names = useNicknames();
  if (contacts === undefined || contacts.length === 0) return null;
  const options: Array<[string, string]> = [];
  for (const { nodes } of contacts) {
    const named = nodes.find((n) => names[n] !== undefined);
    if (perPerson) {
      const main = named ?? nodes[0]!;
      options.push([main, nodes.length > 1 ? `${displayName(names, main)} (${nodes.length} linked browsers)` : displayName(names, main)]);
      continue;
    }
    // The browser with the person's name first, then the others.
    for (const n of [...nodes].sort((x, y) => Number(names[y] !== undefined) - Number(names[x] !== undefined))) {
      const label = names[n] ?? (named !== undefined ? `${names[named]}’s other browser (${shortId(n, 12)})` : displayName(names, n));
      options.push([n, label]);
    }
  }
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        <option value="">— choose a contact, or paste a NodeId below —</option>
        {options.map(([n, text]) => (
          <option key={n} value={n}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
