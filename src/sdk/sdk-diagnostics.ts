import diagnostics from 'node:diagnostics_channel';

/**
 * Every SDK diagnostic faultline prints is also published on this channel, for the doctor: the API
 * says "duplicate registration" only through `diag` when a second SDK tries to register. Its own
 * module, so that the doctor can listen without loading the SDK.
 */
export const SDK_DIAGNOSTICS_CHANNEL = 'faultline:sdk-diagnostic';

const channel = diagnostics.channel(SDK_DIAGNOSTICS_CHANNEL);

export function publishSdkDiagnostic(text: string): void {
  if (channel.hasSubscribers) channel.publish(text);
}
