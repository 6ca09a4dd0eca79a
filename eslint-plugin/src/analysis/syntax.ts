import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';

// Small questions about the syntax tree that several rules ask.

export type FunctionNode = TSESTree.ArrowFunctionExpression | TSESTree.FunctionDeclaration | TSESTree.FunctionExpression;

export function isFunction(node: TSESTree.Node): node is FunctionNode {
  return (
    node.type === AST_NODE_TYPES.ArrowFunctionExpression ||
    node.type === AST_NODE_TYPES.FunctionExpression ||
    node.type === AST_NODE_TYPES.FunctionDeclaration
  );
}

/** A function boundary, or a class static block: code inside runs later, or elsewhere. */
function isDeferredCode(node: TSESTree.Node): boolean {
  return isFunction(node) || node.type === AST_NODE_TYPES.StaticBlock;
}

export interface WalkOptions {
  /** Also visit the bodies of nested functions (default: stop at them). */
  intoFunctions?: boolean;
}

/**
 * Visits `root` and its descendants depth first. The visitor returns false to skip a node's
 * children. Nested functions are skipped unless asked: what they do happens when they are called.
 */
export function walk(
  sourceCode: Readonly<TSESLint.SourceCode>,
  root: TSESTree.Node,
  visit: (node: TSESTree.Node) => boolean | undefined,
  options: WalkOptions = {},
): void {
  const keys = sourceCode.visitorKeys;
  const stack: TSESTree.Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined) break;
    if (visit(node) === false) continue;
    if (node !== root && options.intoFunctions !== true && isDeferredCode(node)) continue;
    const childKeys = keys[node.type] ?? [];
    for (let index = childKeys.length - 1; index >= 0; index -= 1) {
      const key = childKeys[index];
      if (key === undefined) continue;
      const child = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(child)) {
        for (let item = child.length - 1; item >= 0; item -= 1) {
          const value: unknown = child[item];
          if (isNode(value)) stack.push(value);
        }
      } else if (isNode(child)) {
        stack.push(child);
      }
    }
  }
}

function isNode(value: unknown): value is TSESTree.Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Whether any node under `root` (not inside nested functions unless asked) matches. */
export function some(
  sourceCode: Readonly<TSESLint.SourceCode>,
  root: TSESTree.Node,
  predicate: (node: TSESTree.Node) => boolean,
  options: WalkOptions = {},
): boolean {
  let found = false;
  walk(
    sourceCode,
    root,
    (node) => {
      if (found) return false;
      if (predicate(node)) found = true;
      return !found;
    },
    options,
  );
  return found;
}

/** Peels `x as T`, `x!`, `x satisfies T`, `<T>x` and parentheses (which ESTree drops already). */
export function unwrapExpression(node: TSESTree.Node): TSESTree.Node {
  let current = node;
  for (;;) {
    switch (current.type) {
      case AST_NODE_TYPES.TSAsExpression:
      case AST_NODE_TYPES.TSNonNullExpression:
      case AST_NODE_TYPES.TSSatisfiesExpression:
      case AST_NODE_TYPES.TSTypeAssertion:
      case AST_NODE_TYPES.TSInstantiationExpression:
        current = current.expression;
        break;
      case AST_NODE_TYPES.ChainExpression:
        current = current.expression;
        break;
      default:
        return current;
    }
  }
}

/** The name a callee is called by: `f` for `f()`, `obj.f()`, `obj?.f()` and `obj['f']()`; else undefined. */
export function calleeName(callee: TSESTree.Node): string | undefined {
  const node = unwrapExpression(callee);
  if (node.type === AST_NODE_TYPES.Identifier) return node.name;
  if (node.type === AST_NODE_TYPES.MemberExpression) return propertyName(node);
  return undefined;
}

/** The static name of a member access or an object property: `b` in `a.b`, `a['b']`, `{ b: 1 }`. */
export function propertyName(node: TSESTree.MemberExpression | TSESTree.Property | TSESTree.PropertyDefinition): string | undefined {
  const key = node.type === AST_NODE_TYPES.MemberExpression ? node.property : node.key;
  if (!node.computed && key.type === AST_NODE_TYPES.Identifier) return key.name;
  if (key.type === AST_NODE_TYPES.Literal && (typeof key.value === 'string' || typeof key.value === 'number')) return String(key.value);
  if (key.type === AST_NODE_TYPES.TemplateLiteral && key.expressions.length === 0) return key.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The object a method is called on: `a.b` for `a.b.c()`; undefined for a plain function call. */
export function calleeObject(callee: TSESTree.Node): TSESTree.Expression | undefined {
  const node = unwrapExpression(callee);
  if (node.type === AST_NODE_TYPES.MemberExpression) return node.object;
  return undefined;
}

/** The identifier at the root of a member chain: `req` for `req.params.id`, `this` as undefined. */
export function rootIdentifier(node: TSESTree.Node): TSESTree.Identifier | undefined {
  let current = unwrapExpression(node);
  for (;;) {
    if (current.type === AST_NODE_TYPES.Identifier) return current;
    if (current.type === AST_NODE_TYPES.MemberExpression) current = unwrapExpression(current.object);
    else if (current.type === AST_NODE_TYPES.CallExpression) current = unwrapExpression(current.callee);
    else return undefined;
  }
}

/** The variable an identifier refers to, when the scope manager resolves it. */
export function variableOf(sourceCode: Readonly<TSESLint.SourceCode>, identifier: TSESTree.Identifier): TSESLint.Scope.Variable | undefined {
  let scope: TSESLint.Scope.Scope | null = sourceCode.getScope(identifier);
  while (scope !== null) {
    const reference = scope.references.find((candidate) => candidate.identifier === identifier);
    if (reference !== undefined) return reference.resolved ?? undefined;
    const variable = scope.set.get(identifier.name);
    if (variable !== undefined && variable.identifiers.includes(identifier)) return variable;
    scope = scope.upper;
  }
  return undefined;
}

/** Whether an identifier names a global (not shadowed by any declaration in scope). */
export function isGlobalName(sourceCode: Readonly<TSESLint.SourceCode>, identifier: TSESTree.Identifier): boolean {
  const variable = variableOf(sourceCode, identifier);
  return variable === undefined || variable.defs.length === 0;
}

/**
 * The initializer of a `const` (or a `let` never assigned again) that an identifier refers to,
 * for following a value one step back: `const err = new Error(); throw err`.
 */
export function constantInitializer(sourceCode: Readonly<TSESLint.SourceCode>, identifier: TSESTree.Identifier): TSESTree.Expression | undefined {
  const variable = variableOf(sourceCode, identifier);
  if (variable?.defs.length !== 1) return undefined;
  const definition = variable.defs[0];
  if (definition?.type !== 'Variable') return undefined;
  const declarator = definition.node;
  if (declarator.id.type !== AST_NODE_TYPES.Identifier || declarator.init === null) return undefined;
  const written = variable.references.some((reference) => reference.isWrite() && reference.identifier !== declarator.id);
  if (written) return undefined;
  return declarator.init;
}

/** Whether `inner` lies within `outer` in the source. */
export function contains(outer: TSESTree.Node, inner: TSESTree.Node): boolean {
  return inner.range[0] >= outer.range[0] && inner.range[1] <= outer.range[1];
}

/** The static text of a string literal or a template without expressions; else undefined. */
export function staticString(node: TSESTree.Node): string | undefined {
  const value = unwrapExpression(node);
  if (value.type === AST_NODE_TYPES.Literal && typeof value.value === 'string') return value.value;
  if (value.type === AST_NODE_TYPES.TemplateLiteral && value.expressions.length === 0) return value.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}
