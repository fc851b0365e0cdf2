// Picks one of the user's contacts by name; the empty choice means "I'll paste a NodeId instead".
// Renders nothing when there are no contacts yet.
import { displayName, useNicknames } from '../../contacts-store.js';

export function ContactSelect({ label, contacts, value, onChange }: { label: string; contacts: string[] | undefined; value: string; onChange: (nodeId: string) => void }) {
  const names = useNicknames();
  if (contacts === undefined || contacts.length === 0) return null;
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        <option value="">— choose a contact, or paste a NodeId below —</option>
        {contacts.map((n) => (
          <option key={n} value={n}>
            {displayName(names, n)}
          </option>
        ))}
      </select>
    </label>
  );
}
