// The form that gives a secret a new value: a text field with the password generator under it,
// Save and Cancel. Used where a secret is edited and on the rotation checklist.
import { submitting } from '../ActionForm/index.js';
import { GenerateButton } from '../GenerateButton/index.js';

export function ValueEditor(props: {
  path: string;
  value: string;
  onInput: (value: string) => void;
  onSave: () => void;
  onCancel: () => void;
  busy: boolean;
  saveLabel: string;
  rows?: number;
}) {
  return (
    <form class="stack" onSubmit={submitting(props.onSave)}>
      <label>
        New value of {props.path}
        <textarea
          autocomplete="off"
          rows={props.rows ?? 3}
          class="mono"
          autoFocus
          value={props.value}
          onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
        />
      </label>
      <GenerateButton onUse={props.onInput} />
      <div class="row">
        <button type="submit" class="primary" disabled={props.busy}>
          {props.saveLabel}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
