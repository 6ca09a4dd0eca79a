import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import { createRule, namesOption } from '../create-rule.ts';
import { INSTRUMENT_METHODS, INSTRUMENT_TYPES, RECORDERS } from '../analysis/toolkit.ts';
import { calleeName, calleeObject, constantInitializer, propertyName, rootIdentifier, unwrapExpression } from '../analysis/syntax.ts';
import { isBoundedType, isOpaque, lazyTypeFacts, typeNames, type TypeFacts } from '../analysis/type-facts.ts';

// Every distinct set of attribute values is a time series that lives until the process ends. An
// order ID, an error message or a raw URL makes one per request: the SDK caps an instrument at
// 2000 series and folds the rest into one overflow series, and backends bill and slow down per
// series (OpenTelemetry JS #5493 ran out of memory on this).

type Kind = 'fromMessage' | 'fromId' | 'fromTemplate' | 'fromRequest' | 'fromUnique';
type Options = [{ recorders: string[] }];
type MessageIds = Kind | 'perErrorAttribute';

const SOURCE_WORDS: Readonly<Record<Kind, string>> = {
  fromMessage: 'a message',
  fromId: 'an ID',
  fromTemplate: 'a string built from values',
  fromRequest: 'request data',
  fromUnique: 'a value unique to each call',
};

const INSTRUMENTS = new Set(INSTRUMENT_TYPES);
const METHODS = new Set(INSTRUMENT_METHODS);
/** Receivers that look like instruments when there are no types: `errorCounter`, `durationHistogram`, `result` in an observable callback. */
const INSTRUMENT_NAME = /counter|histogram|gauge|instrument|metric|observer|result$/i;

const ID_NAME = /^(?:id|uuid|guid|email|token|sessionId|traceId|spanId|requestId|userId|username|ip)$|[a-z0-9](?:Id|ID|Ids|Uuid|UUID|Email|Token)$|_id$/;
const MESSAGE_NAME = /^(?:message|msg|stack|errorMessage|description|detail)$|[a-z0-9](?:Message|Stack)$/;
/** Parts of a request whose values are the client's to choose. */
const REQUEST_PARTS = new Set(['params', 'query', 'body', 'headers', 'url', 'originalUrl', 'path', 'pathname', 'href', 'search', 'searchParams', 'cookies', 'ip', 'ips', 'hostname', 'host', 'rawHeaders']);
const REQUEST_NAME = /^(?:req|request|incoming|ctx|context)$/;
const REQUEST_TYPES = new Set(['IncomingMessage', 'Request', 'FastifyRequest', 'URL', 'URLSearchParams']);
/** The route template is a bounded stand-in for the path; keep chains through it. */
const ROUTE_PARTS = new Set(['route', 'routeOptions', 'routerPath', 'routePath']);
/** String methods that keep their receiver's cardinality. */
const PASS_THROUGH = new Set(['toLowerCase', 'toUpperCase', 'toLocaleLowerCase', 'toLocaleUpperCase', 'trim', 'trimStart', 'trimEnd', 'normalize', 'toString', 'slice', 'substring', 'padStart', 'padEnd', 'valueOf']);
const UNIQUE_CALLS = new Set(['now', 'random', 'randomUUID', 'hrtime', 'randomBytes', 'toISOString', 'getTime', 'nanoid', 'uuid', 'v4', 'ulid']);

interface Classifier {
  sourceCode: Readonly<TSESLint.SourceCode>;
  types: TypeFacts | undefined;
}

/** A request by its type (node:http, Express, Fastify, fetch), or by its name (`req`, `request`, `ctx`). */
function isRequestObject(classifier: Classifier, node: TSESTree.Node): boolean {
  if (classifier.types !== undefined) {
    const type = classifier.types.typeOf(node);
    if (!isOpaque(type) && typeNames(classifier.types.checker, type).some((name) => REQUEST_TYPES.has(name))) return true;
  }
  const root = rootIdentifier(node);
  return root !== undefined && REQUEST_NAME.test(root.name);
}

/** The member chain's property names from the root: `['params', 'id']` for `req.params.id`. */
function chainNames(node: TSESTree.MemberExpression): { names: string[]; objects: TSESTree.Node[] } {
  const names: string[] = [];
  const objects: TSESTree.Node[] = [];
  let current: TSESTree.Node = node;
  while (current.type === AST_NODE_TYPES.MemberExpression) {
    names.unshift(propertyName(current) ?? '[computed]');
    objects.unshift(current.object);
    current = unwrapExpression(current.object);
  }
  return { names, objects };
}

/** Where an attribute value comes from, if from somewhere unbounded. */
function classify(classifier: Classifier, node: TSESTree.Node, depth = 0): Kind | undefined {
  const value = unwrapExpression(node);
  if (depth > 4) return undefined;
  if (classifier.types !== undefined && value.type !== AST_NODE_TYPES.Literal) {
    const type = classifier.types.typeOf(value);
    if (!isOpaque(type) && isBoundedType(type)) return undefined;
  }
  switch (value.type) {
    case AST_NODE_TYPES.TemplateLiteral:
      return value.expressions.some((expression) => !isBounded(classifier, expression)) ? 'fromTemplate' : undefined;
    case AST_NODE_TYPES.BinaryExpression:
      if (value.operator !== '+') return undefined;
      return !isBounded(classifier, value.left) || !isBounded(classifier, value.right) ? 'fromTemplate' : undefined;
    case AST_NODE_TYPES.ConditionalExpression:
      return classify(classifier, value.consequent, depth + 1) ?? classify(classifier, value.alternate, depth + 1);
    case AST_NODE_TYPES.LogicalExpression:
      return classify(classifier, value.left, depth + 1) ?? classify(classifier, value.right, depth + 1);
    case AST_NODE_TYPES.Identifier: {
      const init = constantInitializer(classifier.sourceCode, value);
      if (init !== undefined) return classify(classifier, init, depth + 1);
      if (MESSAGE_NAME.test(value.name)) return 'fromMessage';
      if (ID_NAME.test(value.name)) return 'fromId';
      return undefined;
    }
    case AST_NODE_TYPES.MemberExpression: {
      const { names, objects } = chainNames(value);
      if (names.some((name) => ROUTE_PARTS.has(name))) return undefined;
      const last = names.at(-1) ?? '';
      if (MESSAGE_NAME.test(last)) return 'fromMessage';
      for (let index = 0; index < names.length; index += 1) {
        const object = objects[index];
        if (REQUEST_PARTS.has(names[index] ?? '') && object !== undefined && isRequestObject(classifier, object)) return 'fromRequest';
      }
      if (ID_NAME.test(last)) return 'fromId';
      return undefined;
    }
    case AST_NODE_TYPES.CallExpression: {
      const name = calleeName(value.callee);
      if (name === undefined) return undefined;
      if (UNIQUE_CALLS.has(name)) return 'fromUnique';
      if (name === 'String' && value.arguments[0] !== undefined) return classify(classifier, value.arguments[0], depth + 1);
      if (name === 'stringify' || name === 'inspect' || name === 'format') return 'fromTemplate';
      const object = calleeObject(value.callee);
      if (PASS_THROUGH.has(name) && object !== undefined) return classify(classifier, object, depth + 1);
      return undefined;
    }
    case AST_NODE_TYPES.NewExpression: {
      const callee = unwrapExpression(value.callee);
      return callee.type === AST_NODE_TYPES.Identifier && callee.name === 'Date' ? 'fromUnique' : undefined;
    }
    default:
      return undefined;
  }
}

function isBounded(classifier: Classifier, node: TSESTree.Node): boolean {
  const value = unwrapExpression(node);
  if (value.type === AST_NODE_TYPES.Literal) return true;
  if (classifier.types !== undefined) {
    const type = classifier.types.typeOf(value);
    if (!isOpaque(type) && isBoundedType(type)) return true;
  }
  return false;
}

/** The object literal an attributes argument is, directly or through a constant. */
function objectLiteral(sourceCode: Readonly<TSESLint.SourceCode>, node: TSESTree.Node | undefined): TSESTree.ObjectExpression | undefined {
  if (node === undefined) return undefined;
  const value = unwrapExpression(node);
  if (value.type === AST_NODE_TYPES.ObjectExpression) return value;
  if (value.type === AST_NODE_TYPES.Identifier) {
    const init = constantInitializer(sourceCode, value);
    if (init !== undefined && unwrapExpression(init).type === AST_NODE_TYPES.ObjectExpression) return unwrapExpression(init) as TSESTree.ObjectExpression;
  }
  return undefined;
}

export default createRule<Options, MessageIds>({
  name: 'no-unbounded-metric-attributes',
  meta: {
    type: 'problem',
    docs: {
      description: 'Disallow metric attributes (and recordError attributes) taken from messages, IDs, built strings or request data',
      config: 'recommended',
      seedRules: [],
    },
    messages: {
      fromMessage: 'Metric attribute `{{attribute}}` comes from a message: every distinct text becomes its own series. {{advice}}',
      fromId: 'Metric attribute `{{attribute}}` looks like an ID: one series per ID. {{advice}}',
      fromTemplate: 'Metric attribute `{{attribute}}` is a string built from values: one series per combination. {{advice}}',
      fromRequest: 'Metric attribute `{{attribute}}` comes from request data, which the client chooses: unbounded series. {{advice}}',
      fromUnique: 'Metric attribute `{{attribute}}` is different on every call (time, random, UUID): one series per call. {{advice}}',
      perErrorAttribute:
        'Attribute `{{attribute}}` of {{recorder}}() carries {{source}}. Per-error values belong in the error (`details` where it is made, `addNote(err, …)` on the way up), which reach its span and its log line; attributes here should be as bounded as the error counter\'s.',
    },
    schema: [
      {
        type: 'object',
        properties: {
          recorders: namesOption('More functions shaped like `recordError(err, { attributes })` whose attributes to check.'),
        },
        additionalProperties: false,
      },
    ],
    defaultOptions: [{ recorders: [] }],
  },
  create(context, [options]) {
    const sourceCode = context.sourceCode;
    const recorders = new Set([...RECORDERS, ...options.recorders]);
    const typeFacts = lazyTypeFacts(context);
    const classifierOf = (): Classifier => ({ sourceCode, types: typeFacts() });

    const advice = 'Keep metric attributes to small fixed sets: route templates, methods, status classes, `classify(err).type`.';

    /** Reports each unbounded attribute; `recorder` names the recordError-like call they were given to, if any. */
    function checkAttributes(attributes: TSESTree.ObjectExpression, recorder: string | undefined): void {
      const classifier = classifierOf();
      const report = (node: TSESTree.Node, kind: Kind, attribute: string): void => {
        if (recorder === undefined) context.report({ node, messageId: kind, data: { attribute, advice } });
        else context.report({ node, messageId: 'perErrorAttribute', data: { attribute, recorder, source: SOURCE_WORDS[kind] } });
      };
      for (const property of attributes.properties) {
        if (property.type === AST_NODE_TYPES.SpreadElement) {
          const spread = unwrapExpression(property.argument);
          if (spread.type === AST_NODE_TYPES.MemberExpression || spread.type === AST_NODE_TYPES.Identifier) {
            const kind = classify(classifier, spread);
            if (kind === 'fromRequest') report(property, kind, '...');
          }
          continue;
        }
        const kind = classify(classifier, property.value);
        if (kind === undefined) continue;
        report(property.value, kind, propertyName(property) ?? sourceCode.getText(property.key));
      }
    }

    function instrumentAttributesIndex(call: TSESTree.CallExpression): number | undefined {
      const callee = unwrapExpression(call.callee);
      if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
      const method = propertyName(callee);
      if (method === undefined || !METHODS.has(method)) return undefined;
      const facts = classifierOf().types;
      if (facts !== undefined) {
        const type = facts.typeOf(callee.object);
        if (!isOpaque(type)) {
          const names = typeNames(facts.checker, type);
          if (names.includes('BatchObservableResult')) return 2;
          return names.some((name) => INSTRUMENTS.has(name)) ? 1 : undefined;
        }
      }
      const object = unwrapExpression(callee.object);
      const name = object.type === AST_NODE_TYPES.Identifier ? object.name : object.type === AST_NODE_TYPES.MemberExpression ? propertyName(object) : undefined;
      if (name === undefined || !INSTRUMENT_NAME.test(name)) return undefined;
      return method === 'observe' && call.arguments.length === 3 ? 2 : 1;
    }

    return {
      CallExpression(node) {
        if (node.arguments.length < 2) return;
        const name = calleeName(node.callee);
        if (name !== undefined && recorders.has(name)) {
          const recordOptions = objectLiteral(sourceCode, node.arguments[1]);
          const attributes = recordOptions?.properties.find((property) => property.type === AST_NODE_TYPES.Property && propertyName(property) === 'attributes');
          const literal = attributes?.type === AST_NODE_TYPES.Property ? objectLiteral(sourceCode, attributes.value) : undefined;
          if (literal !== undefined) checkAttributes(literal, name);
          return;
        }
        const index = instrumentAttributesIndex(node);
        if (index === undefined) return;
        const literal = objectLiteral(sourceCode, node.arguments[index]);
        if (literal !== undefined) checkAttributes(literal, undefined);
      },
    };
  },
});
