// Reusable component schemas from the zod registry (schemas given an id with `.meta({ id })`), one per shape.
// fastify-type-provider-zod emits every registered schema twice, as read (`XInput`) and as written (`X`), as
// the two may differ. A reader should not have to compare twins by eye: identical ones are folded into one, and
// components no operation uses (the read side of shapes only ever written) are left out.
import type { SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';

type Doc = { components?: { schemas?: Record<string, unknown> } } & Record<string, unknown>;

const REF = '#/components/schemas/';

/** Replaces every `$ref` to a component in `renames` with its new name. */
function renameRefs<T>(value: T, renames: Map<string, string>): T {
  const json = JSON.stringify(value, (key, v) =>
    key === '$ref' && typeof v === 'string' && v.startsWith(REF) && renames.has(v.slice(REF.length)) ? REF + renames.get(v.slice(REF.length)) : v,
  );
  return JSON.parse(json) as T;
}

/** Folds each `XInput` component that equals `X` (once its own references are folded) into `X`. */
export function foldInputTwins(doc: Doc): Doc {
  const schemas = doc.components?.schemas ?? {};
  const renames = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    const twin = name.endsWith('Input') ? name.slice(0, -'Input'.length) : null;
    if (twin && twin in schemas) renames.set(name, twin);
  }
  const folded = renameRefs(schemas, renames);
  for (const [input, output] of [...renames]) {
    if (JSON.stringify(folded[input]) !== JSON.stringify(folded[output])) renames.delete(input);
  }
  const tidy = renameRefs(doc, renames);
  for (const input of renames.keys()) delete tidy.components!.schemas![input];
  return tidy;
}

/** Names of the components reachable from the operations. */
function usedComponents(doc: Doc): Set<string> {
  const schemas = doc.components?.schemas ?? {};
  const refsIn = (value: unknown) => [...JSON.stringify(value).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  const used = new Set<string>();
  const todo = refsIn({ ...doc, components: { ...doc.components, schemas: {} } });
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (used.has(name)) continue;
    used.add(name);
    todo.push(...refsIn(schemas[name]));
  }
  return used;
}

export function dropUnusedComponents(doc: Doc): Doc {
  const schemas = doc.components?.schemas;
  if (!schemas) return doc;
  const used = usedComponents(doc);
  return { ...doc, components: { ...doc.components, schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))) } };
}

export const transformObject: SwaggerTransformObject = (input) => dropUnusedComponents(foldInputTwins(jsonSchemaTransformObject(input) as Doc)) as ReturnType<SwaggerTransformObject>;
