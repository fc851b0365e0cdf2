// A copy button. With `clearAfterS` (for secrets) it shows a countdown and empties the clipboard
// when it runs out; the status is announced to screen readers.
import { useCopy } from '../../hooks/useCopy.js';

export function CopyButton({
  text,
  label,
  ariaLabel,
  clearAfterS,
}: {
  text: string | (() => Promise<string>);
  label: string;
  ariaLabel?: string;
  clearAfterS?: number;
}) {
  const { copy, left, copied, failed } = useCopy(clearAfterS);
  const onClick = async (): Promise<void> => {
    await copy(typeof text === 'string' ? text : await text());
  };
  return (
    <span class="copy">
      <button type="button" aria-label={ariaLabel} onClick={() => void onClick()}>
        {label}
      </button>
      <span class="copy-status" role="status" aria-live="polite">
        {failed
          ? 'The browser did not allow copying. Select the text and copy it by hand.'
          : left !== undefined
            ? `Copied. Clipboard clears in ${left} s`
            : copied
              ? 'Copied'
              : ''}
      </span>
    </span>
  );
}
