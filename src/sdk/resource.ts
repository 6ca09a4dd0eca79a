import { defaultResource, detectResources, hostDetector, osDetector, processDetector, resourceFromAttributes, type Resource, type ResourceDetector } from '@opentelemetry/resources';
import type { FaultlineConfig } from '../config.ts';

/**
 * The resource every signal shares, logs included, so that Tempo, Loki and Prometheus see one service.
 * Only local detectors run: cloud-metadata probes cost network round-trips at start-up and are not asked for.
 */
export function buildResource(config: FaultlineConfig): Resource {
  const wanted = new Set(config.resourceDetectors);
  const all = wanted.has('all');
  const detectors: ResourceDetector[] = [];
  if (!wanted.has('none')) {
    if (all || wanted.has('host')) detectors.push(hostDetector);
    if (all || wanted.has('process')) detectors.push(processDetector);
    if (all || wanted.has('os')) detectors.push(osDetector);
  }
  const configured = { ...(all || wanted.has('env') ? config.resourceAttributes : {}), 'service.name': config.serviceName };
  return defaultResource().merge(detectResources({ detectors })).merge(resourceFromAttributes(configured));
}
