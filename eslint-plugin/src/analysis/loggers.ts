import { AST_NODE_TYPES, type TSESLint, type TSESTree } from '@typescript-eslint/utils';
import ts from 'typescript';
import { LOG_METHODS } from './toolkit.ts';
import { isOpaque, typeNames, unionParts, type TypeFacts } from './type-facts.ts';
import { calleeObject, isGlobalName, propertyName, unwrapExpression } from './syntax.ts';

// Which calls write a log line. pino's signature is `(mergingObject?, message?, ...args)` and is the
// one faultline's `createLogger` returns; `console` takes `(...values)`.

export type LoggerStyle = 'pino' | 'console';

export interface LoggerCall {
  call: TSESTree.CallExpression;
  style: LoggerStyle;
  /** Whether the logger was recognised by its type (safe to rewrite) rather than by its name. */
  typed: boolean;
}

const METHODS = new Set(LOG_METHODS);
/** `log`, `logger`, `this.log`, `req.log`, `auditLogger`, `requestLog`. */
const LOGGER_NAME = /^_?(?:log|logger)$|[a-z0-9](?:Log|Logger)$/;

function callable(checker: ts.TypeChecker, type: ts.Type, name: string): boolean {
  return unionParts(type).some((part) => {
    const symbol = part.getProperty(name);
    if (symbol === undefined) return false;
    const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
    if (declaration === undefined) return false;
    return checker.getTypeOfSymbolAtLocation(symbol, declaration).getCallSignatures().length > 0;
  });
}

function styleOfType(checker: ts.TypeChecker, type: ts.Type): LoggerStyle | undefined {
  if (typeNames(checker, type).includes('Console')) return 'console';
  if (!callable(checker, type, 'error') || !callable(checker, type, 'info')) return undefined;
  // pino, and loggers shaped like it (bunyan, faultline's createLogger): child loggers with bindings.
  if (callable(checker, type, 'child')) return 'pino';
  return undefined;
}

/** The logger call this is, if any: `log.error(…)`, `req.log.warn(…)`, `console.error(…)`. */
export function loggerCall(sourceCode: Readonly<TSESLint.SourceCode>, call: TSESTree.CallExpression, types: TypeFacts | undefined): LoggerCall | undefined {
  const callee = unwrapExpression(call.callee);
  if (callee.type !== AST_NODE_TYPES.MemberExpression) return undefined;
  const method = propertyName(callee);
  if (method === undefined || !METHODS.has(method)) return undefined;
  const receiver = calleeObject(callee);
  if (receiver === undefined) return undefined;
  if (types !== undefined) {
    const type = types.typeOf(receiver);
    if (!isOpaque(type) && (type.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) !== 0) {
      const style = styleOfType(types.checker, type);
      if (style === undefined) return undefined;
      if (style === 'pino' && method === 'log') return undefined;
      return { call, style, typed: true };
    }
  }
  const object = unwrapExpression(receiver);
  if (object.type === AST_NODE_TYPES.Identifier && object.name === 'console' && isGlobalName(sourceCode, object)) return { call, style: 'console', typed: false };
  if (method === 'log') return undefined;
  const name = object.type === AST_NODE_TYPES.Identifier ? object.name : object.type === AST_NODE_TYPES.MemberExpression ? propertyName(object) : undefined;
  if (name !== undefined && LOGGER_NAME.test(name)) return { call, style: 'pino', typed: false };
  return undefined;
}
