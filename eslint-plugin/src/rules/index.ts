// The plugin's rules, one file per rule named by its ID, each with a page in docs/rules/. A rule
// reports and fixes; it never throws on code it does not understand (it says nothing instead), and
// it never needs type information to run (it asks for more when the file has it).

import logErrorObject from './log-error-object.ts';
import noBlindCatch from './no-blind-catch.ts';
import noLongErrorMessages from './no-long-error-messages.ts';
import noSwallowedCancellation from './no-swallowed-cancellation.ts';
import noUnboundedMetricAttributes from './no-unbounded-metric-attributes.ts';
import onlyCodedErrors from './only-coded-errors.ts';

/** Every rule of the plugin by its ID (without the `faultline/` namespace). */
export const rules = {
  'only-coded-errors': onlyCodedErrors,
  'no-blind-catch': noBlindCatch,
  'no-swallowed-cancellation': noSwallowedCancellation,
  'no-unbounded-metric-attributes': noUnboundedMetricAttributes,
  'log-error-object': logErrorObject,
  'no-long-error-messages': noLongErrorMessages,
};

export type RuleId = keyof typeof rules;
