// A form that runs a user's action when submitted: its fields, a submit button (disabled until the
// form is `ready`, and while the action runs), and the action's error under it.
import type { ComponentChildren } from 'preact';
import type { Action } from '../../hooks/useAction.js';
import { ErrorNote } from '../ErrorNote/index.js';

/** An onSubmit handler that runs `fn` instead of letting the browser submit the form. */
export const submitting =
  (fn: () => unknown) =>
  (e: Event): void => {
    e.preventDefault();
    void fn();
  };

interface Props {
  class?: string;
  action: Action<[]>;
  ready: boolean;
  label: string;
  /** The button's text while the action runs (the label stays if not given). */
  busyLabel?: string;
  /** Buttons after the submit button (side by side with it when `row`). */
  more?: ComponentChildren;
  row?: boolean;
  children?: ComponentChildren;
}

export function ActionForm({ action, ready, label, busyLabel, more, row = false, children, class: cls = 'stack' }: Props) {
  return (
    <form class={cls} onSubmit={submitting(action.run)}>
      {children}
      <div class={row ? 'row' : undefined}>
        <button type="submit" class="primary" disabled={!ready || action.busy}>
          {action.busy && busyLabel !== undefined ? busyLabel : label}
        </button>
        {more}
      </div>
      <ErrorNote error={action.error} />
    </form>
  );
}
