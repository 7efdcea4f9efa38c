/**
 * Catches an error thrown while rendering a screen: shows it (with its hint when it carries one)
 * instead of Ink's stack dump, then ends the app so Ink restores the terminal (raw mode off,
 * cursor back) and the entry reports the error on stderr with its exit code.
 */
import React from 'react';
import { Box, Text, useApp } from 'ink';

interface BoundaryProps {
  children: React.ReactNode;
}

interface BoundaryState {
  error: unknown;
}

export class ErrorBoundary extends React.Component<BoundaryProps, BoundaryState> {
  override state: BoundaryState = { error: null };

  static getDerivedStateFromError(error: unknown): BoundaryState {
    return { error };
  }

  override render() {
    if (this.state.error !== null) return <ErrorScreen error={this.state.error} />;
    return this.props.children;
  }
}

function ErrorScreen({ error }: { error: unknown }) {
  const { exit } = useApp();
  React.useEffect(() => {
    // After this frame is drawn: the error stays on screen above the shell prompt.
    const timer = setTimeout(() => exit(error instanceof Error ? error : new Error(String(error))), 0);
    return () => clearTimeout(timer);
  }, [error, exit]);
  const message = (error as Error)?.message ?? String(error);
  const hint = (error as { hint?: string })?.hint;
  return (
    <Box flexDirection="column">
      <Text color="red" bold>
        kvm-tui stopped: {message.split('\n')[0]}
      </Text>
      {hint ? <Text color="gray">hint: {hint}</Text> : null}
    </Box>
  );
}
