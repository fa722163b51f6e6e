// Writes a Parquet file in a Hugging Face layout with DuckDB (another tool than the reader's library):
// node duckdb-write-parquet.cjs TOOLS_DIR SPEC.json, where SPEC is
// {"out": "x.parquet", "rowGroupSize": 2048, "classNames": ["cat", ...], "rows": [{"path": "/abs/img.png", "label": 0}, ...]}
// (image classification: image {bytes, path} and label), or, for object detection,
// {"out": ..., "rowGroupSize": 3, "huggingface": "{...}", "listOfStructs": false,
//  "rows": [{"path": "/abs/img.png", "objects": {"id": [1], "area": [4], "bbox": [[x, y, w, h]], "category": [0]}}, ...]}
// (image {bytes, path} and objects: a struct of lists as datasets writes a Sequence of a dict, or a list of structs).
// The image bytes are read by DuckDB itself (read_blob), the huggingface metadata written with KV_METADATA.
const path = require('path');
const fs = require('fs');
const { DuckDBInstance } = require(path.join(process.argv[2], 'node_modules', '@duckdb', 'node-api'));
const spec = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const quote = s => "'" + String(s).replace(/'/g, "''") + "'";
const list = (values, f) => '[' + values.map(f).join(', ') + ']';
const float = v => Number.isFinite(v) ? String(v) : `'${v}'::FLOAT`;
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const detection = spec.rows.length > 0 && spec.rows[0].objects !== undefined;
  const objectsType = spec.listOfStructs
    ? 'STRUCT(id BIGINT, area BIGINT, bbox FLOAT[], category BIGINT)[]'
    : 'STRUCT(id BIGINT[], area BIGINT[], bbox FLOAT[][], category BIGINT[])';
  await c.run(detection
    ? `CREATE TABLE rows (ord INTEGER, path VARCHAR, objects ${objectsType})`
    : 'CREATE TABLE rows (ord INTEGER, path VARCHAR, label INTEGER)');
  for (let i = 0; i < spec.rows.length; i++) {
    const r = spec.rows[i];
    let value;
    if (!detection) {
      value = String(r.label);
    } else if (spec.listOfStructs) {
      const o = r.objects;
      value = list(o.bbox.map((_, k) => k), k => `{'id': ${o.id[k]}, 'area': ${o.area[k]}, 'bbox': ${list(o.bbox[k], float)}, 'category': ${o.category[k]}}`);
    } else {
      const o = r.objects;
      value = `{'id': ${list(o.id, String)}, 'area': ${list(o.area, String)}, 'bbox': ${list(o.bbox, b => list(b, float))}, 'category': ${list(o.category, String)}}`;
    }
    await c.run(`INSERT INTO rows VALUES (${i}, ${quote(r.path)}, ${value})`);
  }
  const hf = spec.huggingface ?? JSON.stringify({ info: { features: { image: { _type: 'Image' }, label: { names: spec.classNames, _type: 'ClassLabel' } } } });
  const files = '[' + spec.rows.map(r => quote(r.path)).join(', ') + ']';
  await c.run(`COPY (SELECT {'bytes': b.content, 'path': r.path} AS image, ${detection ? 'r.objects AS objects' : 'r.label AS label'}
      FROM rows r JOIN read_blob(${files}) b ON b.filename = r.path ORDER BY r.ord)
    TO ${quote(spec.out)} (FORMAT PARQUET, ROW_GROUP_SIZE ${spec.rowGroupSize}, KV_METADATA {huggingface: ${quote(hf)}})`);
})().catch(e => { console.error(e); process.exit(1); });
