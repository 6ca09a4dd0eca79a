import { isObjectLike } from './safe-read.ts';
import { readThrown, type ThrownFacts } from './thrown.ts';

/** One error of a cause chain / AggregateError tree, in recording order (outermost first). */
export interface ErrorNode {
  value: unknown;
  facts: ThrownFacts;
  /** 0 for the outermost error. */
  depth: number;
  /** Index of the node this one hangs from (undefined for the outermost). */
  parent: number | undefined;
  relation: ErrorRelation | undefined;
}

/**
 * How an error hangs from its parent: its `cause`, an AggregateError child, or one of a
 * SuppressedError's two: `error` (thrown while cleaning up) and `suppressed` (the error it replaced).
 */
export type ErrorRelation = 'cause' | 'aggregate' | 'error' | 'suppressed';

export interface ErrorTree {
  nodes: ErrorNode[];
  /** True when the depth or count cap left errors out. */
  truncated: boolean;
}

/**
 * Walks an error, its `cause` chain, AggregateError `errors` and SuppressedError `error` and
 * `suppressed`, depth first (an error, then its cause, then its children), with at most `maxDepth` levels below the outermost and `maxNodes`
 * errors in all. Each object is visited once, so cycles end the walk. Never throws.
 */
export function walkErrorTree(err: unknown, maxDepth: number, maxNodes: number): ErrorTree {
  const nodes: ErrorNode[] = [];
  const seen = new Set<object>();
  let truncated = false;

  function visit(value: unknown, depth: number, parent: number | undefined, relation: ErrorNode['relation']): void {
    if (nodes.length >= maxNodes) {
      truncated = true;
      return;
    }
    if (isObjectLike(value)) {
      if (seen.has(value)) return;
      seen.add(value);
    }
    const facts = readThrown(value);
    const index = nodes.length;
    nodes.push({ value, facts, depth, parent, relation });
    const hasCause = facts.hasCause && facts.cause !== undefined && facts.cause !== null;
    const children = facts.children ?? [];
    const suppression = facts.suppression;
    if (depth >= maxDepth) {
      if (hasCause || children.length > 0 || suppression !== undefined) truncated = true;
      return;
    }
    if (hasCause) visit(facts.cause, depth + 1, index, 'cause');
    for (const child of children) visit(child, depth + 1, index, 'aggregate');
    if (suppression !== undefined) {
      visit(suppression.error, depth + 1, index, 'error');
      visit(suppression.suppressed, depth + 1, index, 'suppressed');
    }
  }

  try {
    visit(err, 0, undefined, undefined);
  } catch { // eslint-disable-line faultline/no-blind-catch -- a hostile cause chain ends the walk, marked truncated
    truncated = true;
  }
  return { nodes, truncated };
}
