// An error as a person reads it: what happened (the keynode's message) and what to do next.
import { describeError } from '../../format.js';

export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const shown = describeError(error);
  return (
    <div class="error-note" role="alert" data-code={shown.code}>
      <p>{shown.message}</p>
      {shown.next !== undefined && <p class="next">{shown.next}</p>}
    </div>
  );
}
