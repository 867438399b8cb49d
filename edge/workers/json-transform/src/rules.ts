// Declarative mapping rules for JSON documents, applied in order.
//
//   {"op": "rename",  "from": "a.b", "to": "c"}                 move a value (missing: no-op)
//   {"op": "pick",    "paths": ["id", "customer.name"]}         keep only these paths
//   {"op": "omit",    "paths": ["internal", "items.*.cost"]}    drop these paths
//   {"op": "cast",    "path": "items.*.price", "to": "number"}  string|number|integer|boolean
//   {"op": "default", "path": "currency", "value": "EUR"}       set when missing or null
//   {"op": "flatten", "path": "customer", "separator": "_"}     nested object → joined keys
//
// Paths are dot-separated keys; a numeric segment indexes an array; `*` (cast, default, omit)
// stands for every element of an array or every value of an object. `flatten` without a path
// flattens the whole document; arrays are kept as values. Rules are checked before any is
// applied (RuleError, a 422 listing every problem); a document the rules cannot apply to
// (a cast that cannot succeed, a non-object where an object is needed) is a TransformError
// (also 422, naming the rule and the path).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

export type CastTarget = "string" | "number" | "integer" | "boolean";
export type Rule =
	| { op: "rename"; from: string; to: string }
	| { op: "pick"; paths: string[] }
	| { op: "omit"; paths: string[] }
	| { op: "cast"; path: string; to: CastTarget }
	| { op: "default"; path: string; value: Json }
	| { op: "flatten"; path?: string; separator: string };

export const MAX_RULES = 100;
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);
const CASTS = new Set(["string", "number", "integer", "boolean"]);
const FIELDS: Record<string, string[]> = {
	rename: ["op", "from", "to"],
	pick: ["op", "paths"],
	omit: ["op", "paths"],
	cast: ["op", "path", "to"],
	default: ["op", "path", "value"],
	flatten: ["op", "path", "separator"],
};

export class RuleError extends Error {
	constructor(readonly problems: string[]) {
		super(`invalid rules: ${problems.join("; ")}`);
	}
}

export class TransformError extends Error {}

function isObj(value: unknown): value is Obj {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function setOwn(target: Obj, key: string, value: Json): void {
	// defineProperty, not assignment: a key "__proto__" in the input stays a plain key.
	Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function hasOwn(target: object, key: string): boolean {
	return Object.prototype.hasOwnProperty.call(target, key);
}

function pathProblem(where: string, path: unknown, wildcard: boolean): string | null {
	if (typeof path !== "string" || path === "") return `${where} must be a non-empty string`;
	const segments = path.split(".");
	if (segments.some((s) => s === "")) return `${where} ${JSON.stringify(path)} has an empty segment`;
	if (segments.some((s) => FORBIDDEN.has(s))) return `${where} ${JSON.stringify(path)} uses a forbidden key`;
	if (!wildcard && segments.includes("*")) return `${where} ${JSON.stringify(path)} may not use *`;
	return null;
}

/** Checks untrusted rules; returns them typed, or throws RuleError with every problem found. */
export function parseRules(input: unknown): Rule[] {
	if (!Array.isArray(input)) throw new RuleError(["rules must be an array"]);
	if (input.length > MAX_RULES) throw new RuleError([`at most ${MAX_RULES} rules`]);
	const problems: string[] = [];
	input.forEach((rule, i) => {
		const at = `rules[${i}]`;
		if (!isObj(rule)) return problems.push(`${at} must be an object`);
		const op = rule.op;
		if (typeof op !== "string" || !(op in FIELDS)) {
			return problems.push(`${at}.op must be one of ${Object.keys(FIELDS).join(", ")}`);
		}
		for (const key of Object.keys(rule)) {
			if (!FIELDS[op]!.includes(key)) problems.push(`${at} (${op}) has an unknown field ${JSON.stringify(key)}`);
		}
		const add = (p: string | null) => p !== null && problems.push(p);
		switch (op) {
			case "rename":
				add(pathProblem(`${at}.from`, rule.from, false));
				add(pathProblem(`${at}.to`, rule.to, false));
				break;
			case "pick":
			case "omit":
				if (!Array.isArray(rule.paths) || rule.paths.length === 0) {
					problems.push(`${at}.paths must be a non-empty array of paths`);
				} else {
					rule.paths.forEach((p, j) => add(pathProblem(`${at}.paths[${j}]`, p, op === "omit")));
				}
				break;
			case "cast":
				add(pathProblem(`${at}.path`, rule.path, true));
				if (typeof rule.to !== "string" || !CASTS.has(rule.to)) {
					problems.push(`${at}.to must be one of ${[...CASTS].join(", ")}`);
				}
				break;
			case "default":
				add(pathProblem(`${at}.path`, rule.path, true));
				if (!hasOwn(rule, "value")) problems.push(`${at}.value is required`);
				break;
			case "flatten":
				if (rule.path !== undefined) add(pathProblem(`${at}.path`, rule.path, false));
				if (rule.separator !== undefined && (typeof rule.separator !== "string" || rule.separator === "")) {
					problems.push(`${at}.separator must be a non-empty string`);
				}
				break;
		}
		return undefined;
	});
	if (problems.length) throw new RuleError(problems);
	return (input as Obj[]).map((rule) =>
		rule.op === "flatten" ? ({ ...rule, separator: (rule.separator as string | undefined) ?? "." } as Rule) : (rule as unknown as Rule),
	);
}

function child(container: Json, key: string): Json | undefined {
	if (Array.isArray(container)) {
		if (!/^\d+$/.test(key)) return undefined;
		return container[Number(key)];
	}
	if (isObj(container) && hasOwn(container, key)) return container[key];
	return undefined;
}

/** Every (parent, key) pair a path designates that exists up to the parent. */
function targets(doc: Json, path: string): { parent: Obj | Json[]; key: string; where: string }[] {
	const segments = path.split(".");
	let frontier: { node: Json; where: string[] }[] = [{ node: doc, where: [] }];
	for (const segment of segments.slice(0, -1)) {
		const next: typeof frontier = [];
		for (const { node, where } of frontier) {
			if (segment === "*") {
				if (Array.isArray(node)) node.forEach((v, i) => next.push({ node: v, where: [...where, String(i)] }));
				else if (isObj(node)) for (const k of Object.keys(node)) next.push({ node: node[k]!, where: [...where, k] });
			} else {
				const v = child(node, segment);
				if (v !== undefined) next.push({ node: v, where: [...where, segment] });
			}
		}
		frontier = next;
	}
	const last = segments.at(-1)!;
	const out: { parent: Obj | Json[]; key: string; where: string }[] = [];
	for (const { node, where } of frontier) {
		if (!(Array.isArray(node) || isObj(node))) continue;
		const keys = last === "*" ? (Array.isArray(node) ? node.map((_, i) => String(i)) : Object.keys(node)) : [last];
		for (const key of keys) out.push({ parent: node, key, where: [...where, key].join(".") });
	}
	return out;
}

function getAt(parent: Obj | Json[], key: string): Json | undefined {
	return child(parent as Json, key);
}

function setAt(parent: Obj | Json[], key: string, value: Json): void {
	if (Array.isArray(parent)) {
		if (/^\d+$/.test(key) && Number(key) < parent.length) parent[Number(key)] = value;
	} else {
		setOwn(parent, key, value);
	}
}

function deleteAt(parent: Obj | Json[], key: string): void {
	if (Array.isArray(parent)) {
		if (/^\d+$/.test(key) && Number(key) < parent.length) parent.splice(Number(key), 1);
	} else {
		delete parent[key];
	}
}

function ensureObjectPath(doc: Obj, segments: string[], rule: string): Obj {
	let node = doc;
	for (const segment of segments) {
		const existing = hasOwn(node, segment) ? node[segment] : undefined;
		if (existing === undefined || existing === null) {
			const created: Obj = {};
			setOwn(node, segment, created);
			node = created;
		} else if (isObj(existing)) {
			node = existing;
		} else {
			throw new TransformError(`${rule}: ${segments.join(".")} is not an object in the document`);
		}
	}
	return node;
}

function cast(value: Json, to: CastTarget, where: string, rule: string): Json {
	const fail = () =>
		new TransformError(`${rule}: cannot cast ${JSON.stringify(value)} at ${where} to ${to}`);
	switch (to) {
		case "string":
			if (typeof value === "string") return value;
			if (typeof value === "number" || typeof value === "boolean") return String(value);
			throw fail();
		case "number":
		case "integer": {
			let n: number;
			if (typeof value === "number") n = value;
			else if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value.trim()))) n = Number(value.trim());
			else if (typeof value === "boolean") n = value ? 1 : 0;
			else throw fail();
			if (to === "integer" && !Number.isInteger(n)) throw fail();
			return n;
		}
		case "boolean":
			if (typeof value === "boolean") return value;
			if (value === 1 || value === 0) return value === 1;
			if (typeof value === "string") {
				const v = value.trim().toLowerCase();
				if (["true", "yes", "1", "on"].includes(v)) return true;
				if (["false", "no", "0", "off"].includes(v)) return false;
			}
			throw fail();
	}
}

function flattenInto(out: Obj, prefix: string, value: Json, separator: string, depth: number): void {
	if (depth > 64) throw new TransformError("flatten: the document is nested deeper than 64 levels");
	if (isObj(value) && (Object.keys(value).length > 0 || prefix === "")) {
		for (const key of Object.keys(value)) {
			flattenInto(out, prefix === "" ? key : `${prefix}${separator}${key}`, value[key]!, separator, depth + 1);
		}
	} else {
		setOwn(out, prefix, value);
	}
}

/** Applies checked rules to a document (which is modified in place and returned). */
export function applyRules(doc: Json, rules: Rule[]): Json {
	if (!isObj(doc)) throw new TransformError("the document must be a JSON object");
	let current: Obj = doc;
	rules.forEach((rule, i) => {
		const name = `rules[${i}] (${rule.op})`;
		switch (rule.op) {
			case "rename": {
				const [from] = targets(current, rule.from);
				const value = from ? getAt(from.parent, from.key) : undefined;
				if (from === undefined || value === undefined) return;
				deleteAt(from.parent, from.key);
				const segments = rule.to.split(".");
				setOwn(ensureObjectPath(current, segments.slice(0, -1), name), segments.at(-1)!, value);
				return;
			}
			case "pick": {
				const picked: Obj = {};
				for (const path of rule.paths) {
					const [t] = targets(current, path);
					const value = t ? getAt(t.parent, t.key) : undefined;
					if (value === undefined) continue;
					const segments = path.split(".");
					setOwn(ensureObjectPath(picked, segments.slice(0, -1), name), segments.at(-1)!, value);
				}
				current = picked;
				return;
			}
			case "omit":
				for (const path of rule.paths) {
					// Delete from the end so array indices stay valid while removing.
					for (const t of targets(current, path).reverse()) deleteAt(t.parent, t.key);
				}
				return;
			case "cast":
				for (const t of targets(current, rule.path)) {
					const value = getAt(t.parent, t.key);
					if (value === undefined || value === null) continue;
					setAt(t.parent, t.key, cast(value, rule.to, t.where, name));
				}
				return;
			case "default": {
				const segments = rule.path.split(".");
				if (!segments.includes("*")) {
					ensureObjectPath(current, segments.slice(0, -1), name);
				}
				for (const t of targets(current, rule.path)) {
					const value = getAt(t.parent, t.key);
					if (value === undefined || value === null) setAt(t.parent, t.key, structuredClone(rule.value));
				}
				return;
			}
			case "flatten": {
				if (rule.path === undefined) {
					const flat: Obj = {};
					flattenInto(flat, "", current, rule.separator, 0);
					current = flat;
					return;
				}
				const [t] = targets(current, rule.path);
				const value = t ? getAt(t.parent, t.key) : undefined;
				if (t === undefined || value === undefined || value === null) return;
				if (!isObj(value)) throw new TransformError(`${name}: ${rule.path} is not an object`);
				const flat: Obj = {};
				flattenInto(flat, "", value, rule.separator, 0);
				setAt(t.parent, t.key, flat);
				return;
			}
		}
	});
	return current;
}
