import type { ParserServicesWithTypeInformation, TSESLint, TSESTree } from '@typescript-eslint/utils';
import ts from 'typescript';

// What the type checker can tell the rules, when the file was parsed with type information. Every
// rule also works without it (plain JavaScript, or a config without `projectService`), on names
// and syntax alone: a rule must never throw for want of types.

export interface TypeFacts {
  checker: ts.TypeChecker;
  /** The checker's type of an ESTree node; `any` for nodes TypeScript has no node for. */
  typeOf(node: TSESTree.Node): ts.Type;
  /** Whether a call's resolved signature returns `never` (a helper that always throws, `process.exit`). */
  returnsNever(call: TSESTree.CallExpression): boolean;
}

/** Type facts for this file, or undefined when it was parsed without a TypeScript program. */
export function typeFactsOf(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): TypeFacts | undefined {
  const services = context.sourceCode.parserServices as Partial<ParserServicesWithTypeInformation> | undefined;
  const program = services?.program;
  const map = services?.esTreeNodeToTSNodeMap;
  if (program === undefined || program === null || map === undefined) return undefined;
  const checker = program.getTypeChecker();
  const typeOf = (node: TSESTree.Node): ts.Type => {
    const tsNode = map.get(node as TSESTree.Expression) as ts.Node | undefined;
    if (tsNode === undefined) return checker.getAnyType();
    return checker.getTypeAtLocation(tsNode);
  };
  return {
    checker,
    typeOf,
    returnsNever(call) {
      const tsNode = map.get(call) as ts.Node | undefined;
      if (tsNode === undefined || !ts.isCallExpression(tsNode)) return false;
      const signature = checker.getResolvedSignature(tsNode);
      if (signature === undefined) return false;
      return (checker.getReturnTypeOfSignature(signature).flags & ts.TypeFlags.Never) !== 0;
    },
  };
}

/** Type facts asked for once per file, on first use: a file with no catch never builds them. */
export function lazyTypeFacts(context: Readonly<TSESLint.RuleContext<string, readonly unknown[]>>): () => TypeFacts | undefined {
  let facts: TypeFacts | undefined | null = null;
  return () => {
    if (facts === null) facts = typeFactsOf(context);
    return facts;
  };
}

/** `any`, `unknown`, or a type parameter without a constraint: nothing can be said about the value. */
export function isOpaque(type: ts.Type): boolean {
  return (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never | ts.TypeFlags.TypeParameter)) !== 0;
}

/** The members of a union, or the type itself. */
export function unionParts(type: ts.Type): readonly ts.Type[] {
  return type.isUnion() ? type.types : [type];
}

/** The type's own name and the names of the classes and interfaces it extends, nearest first. */
export function typeNames(checker: ts.TypeChecker, type: ts.Type): string[] {
  const names: string[] = [];
  const seen = new Set<ts.Type>();
  const visit = (current: ts.Type, depth: number): void => {
    if (seen.has(current) || depth > 12) return;
    seen.add(current);
    const symbol = current.getSymbol() ?? current.aliasSymbol;
    if (symbol !== undefined) names.push(symbol.getName());
    if (current.isIntersection()) {
      for (const part of current.types) visit(part, depth + 1);
      return;
    }
    const objectFlags = (current.flags & ts.TypeFlags.Object) !== 0 ? (current as ts.ObjectType).objectFlags : 0;
    const target = (objectFlags & ts.ObjectFlags.Reference) !== 0 ? (current as ts.TypeReference).target : current;
    const targetFlags = (target.flags & ts.TypeFlags.Object) !== 0 ? (target as ts.ObjectType).objectFlags : 0;
    if ((targetFlags & ts.ObjectFlags.ClassOrInterface) !== 0) {
      for (const base of checker.getBaseTypes(target as ts.InterfaceType)) visit(base, depth + 1);
    }
  };
  visit(type, 0);
  return names;
}

/** Whether the type is, or extends, one of the named classes or interfaces (by name, as lint configs say them). */
export function isNamedType(checker: ts.TypeChecker, type: ts.Type, names: ReadonlySet<string>): boolean {
  return typeNames(checker, type).some((name) => names.has(name));
}

const ABORT_SIGNAL = new Set(['AbortSignal']);

/** Whether every member of the type is an AbortSignal (`AbortSignal | undefined` counts). */
export function isAbortSignalType(checker: ts.TypeChecker, type: ts.Type): boolean {
  let found = false;
  for (const part of unionParts(type)) {
    if ((part.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)) !== 0) continue;
    if (!isNamedType(checker, part, ABORT_SIGNAL)) return false;
    found = true;
  }
  return found;
}

/** A value with a small, known set of values: literals, unions of them, booleans, enums. */
export function isBoundedType(type: ts.Type): boolean {
  const parts = unionParts(type);
  return parts.every(
    (part) =>
      (part.flags &
        (ts.TypeFlags.StringLiteral |
          ts.TypeFlags.NumberLiteral |
          ts.TypeFlags.BooleanLiteral |
          ts.TypeFlags.Boolean |
          ts.TypeFlags.EnumLiteral |
          ts.TypeFlags.Enum |
          ts.TypeFlags.Undefined |
          ts.TypeFlags.Null)) !==
      0,
  );
}

/** Whether the type has a `then` method: a promise or another thenable. */
export function isThenable(checker: ts.TypeChecker, type: ts.Type): boolean {
  return unionParts(type).some((part) => {
    const then = part.getProperty('then');
    if (then === undefined) return false;
    const declaration = then.valueDeclaration ?? then.declarations?.[0];
    if (declaration === undefined) return false;
    return checker.getTypeOfSymbolAtLocation(then, declaration).getCallSignatures().length > 0;
  });
}
