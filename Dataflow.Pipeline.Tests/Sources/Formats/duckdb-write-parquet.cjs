// Writes a Parquet file in the Hugging Face image-classification layout with DuckDB (another tool than the reader's
// library): node duckdb-write-parquet.cjs TOOLS_DIR SPEC.json, where SPEC is
// {"out": "x.parquet", "rowGroupSize": 2048, "classNames": ["cat", ...], "rows": [{"path": "/abs/img.png", "label": 0}, ...]}.
// The image bytes are read by DuckDB itself (read_blob), the huggingface metadata written with KV_METADATA.
const path = require('path');
const fs = require('fs');
const { DuckDBInstance } = require(path.join(process.argv[2], 'node_modules', '@duckdb', 'node-api'));
const spec = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const quote = s => "'" + String(s).replace(/'/g, "''") + "'";
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run('CREATE TABLE rows (ord INTEGER, path VARCHAR, label INTEGER)');
  for (let i = 0; i < spec.rows.length; i++) {
    await c.run(`INSERT INTO rows VALUES (${i}, ${quote(spec.rows[i].path)}, ${spec.rows[i].label})`);
  }
  const hf = JSON.stringify({ info: { features: { image: { _type: 'Image' }, label: { names: spec.classNames, _type: 'ClassLabel' } } } });
  const files = '[' + spec.rows.map(r => quote(r.path)).join(', ') + ']';
  await c.run(`COPY (SELECT {'bytes': b.content, 'path': r.path} AS image, r.label AS label
      FROM rows r JOIN read_blob(${files}) b ON b.filename = r.path ORDER BY r.ord)
    TO ${quote(spec.out)} (FORMAT PARQUET, ROW_GROUP_SIZE ${spec.rowGroupSize}, KV_METADATA {huggingface: ${quote(hf)}})`);
})().catch(e => { console.error(e); process.exit(1); });
