// Copy to the clipboard; for secrets, a visible countdown after which the clipboard is emptied.
// Browsers only let a focused page write the clipboard, so when the time is up while the page is
// in the background, the clearing waits for the next focus (docs/design.md §10.3).
import { useEffect, useRef, useState } from 'preact/hooks';

export const CLEAR_AFTER_S = 20;

export function useCopy(clearAfterS?: number): { copy: (text: string) => Promise<void>; left: number | undefined; copied: boolean; failed: boolean } {
  const [left, setLeft] = useState<number | undefined>(undefined);
  const [copied, setCopied] = useState(false);
  const [failed, setFailed] = useState(false);
  const timer = useRef<ReturnType<typeof setInterval> | undefined>(undefined);

  const stop = (): void => {
    if (timer.current !== undefined) clearInterval(timer.current);
    timer.current = undefined;
  };
  useEffect(() => stop, []);

  const clearClipboard = (): void => {
    const write = (): void => void navigator.clipboard.writeText('').catch(() => undefined);
    if (document.hasFocus()) write();
    else window.addEventListener('focus', write, { once: true });
  };

  const copy = async (text: string): Promise<void> => {
    stop();
    setFailed(false);
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      setFailed(true);
      return;
    }
    setCopied(true);
    if (clearAfterS === undefined) {
      setTimeout(() => setCopied(false), 2000);
      return;
    }
    const deadline = Date.now() + clearAfterS * 1000;
    setLeft(clearAfterS);
    timer.current = setInterval(() => {
      const remaining = Math.ceil((deadline - Date.now()) / 1000);
      if (remaining > 0) {
        setLeft(remaining);
        return;
      }
      stop();
      clearClipboard();
      setLeft(undefined);
      setCopied(false);
    }, 250);
  };
  return { copy, left, copied, failed };
}
