// One per route: a screen that breaks shows what happened and a way back, and the rest of the app
// (header, navigation) keeps working.
import { Component, type ComponentChildren } from 'preact';
import { describeError } from '../../format.js';

interface State {
  error: unknown;
}

export class ErrorBoundary extends Component<{ children: ComponentChildren; name: string }, State> {
  override state: State = { error: undefined };

  override componentDidCatch(error: unknown): void {
    this.setState({ error });
  }

  override render() {
    if (this.state.error === undefined) return this.props.children;
    const shown = describeError(this.state.error);
    return (
      <section class="card error-card" role="alert">
        <h1>The {this.props.name} screen ran into a problem</h1>
        <p>{shown.message}</p>
        <p>Your data is safe: nothing was changed by this. Try the screen again.</p>
        <button type="button" onClick={() => this.setState({ error: undefined })}>
          Try again
        </button>
      </section>
    );
  }
}
