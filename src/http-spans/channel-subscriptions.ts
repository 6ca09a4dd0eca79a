import diagnosticsChannel from 'node:diagnostics_channel';

/** A diagnostics channel handler; the message's shape is the publisher's (Node's http, undici). */
export type ChannelHandler<Message> = (message: Message) => void;

/**
 * Subscribes each handler to its channel, guarded: span bookkeeping runs inside Node's and
 * undici's request code, so a throw there must never reach the app. Returns the unsubscribe.
 */
export function subscribeChannels(handlers: Record<string, ChannelHandler<never>>): () => void {
  const subscriptions = Object.entries(handlers).map(([name, handler]) => {
    const guarded = (message: unknown): void => {
      try {
        handler(message as never);
      } catch { // eslint-disable-line faultline/no-blind-catch -- telemetry never breaks the app's request, which a throwing subscriber would
      }
    };
    diagnosticsChannel.subscribe(name, guarded);
    return [name, guarded] as const;
  });
  return () => {
    for (const [name, guarded] of subscriptions) diagnosticsChannel.unsubscribe(name, guarded);
  };
}
