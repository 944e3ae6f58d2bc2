// D1's HTTP JSON contract (the body and answer of the REST API's `/query`), served over a D1 binding.
// The container cannot hold bindings, so it speaks this contract to http://d1.internal, where the Worker's
// outbound handler answers with this code; Confab's D1 executor can equally talk to the public REST API.
//
// Request:  {"sql": "SELECT ?1", "params": [1]}  or  {"batch": [{"sql": ..., "params": [...]}, ...]}
//           (a batch is one transaction: all statements commit, or none).
// Answer:   {"result": [{"results": [rows], "success": true, "meta": {changes, last_row_id, ...}}],
//            "success": true, "errors": [], "messages": []}, one result per statement, in order.
// Failure:  {"result": [], "success": false, "errors": [{"code": 7500, "message": "D1_ERROR: ..."}], "messages": []}
//           with HTTP 400 when the statement is at fault, 503 when D1 says it is busy or was reset (worth a retry).

const SQL_ERROR = 7500; // the REST API's code for a statement D1 refused
const BAD_REQUEST = 7400; // the body is not the contract

// D1 errors its documentation says to retry: the statement was fine, the database was not available.
const TRANSIENT = /Network connection lost|storage caused object to be reset|reset because its code was updated|overloaded|exceeded its memory limit|Internal error/i;

export async function serveD1(request, db, path = new URL(request.url).pathname) {
  if (path !== "/query") {
    return failure(404, BAD_REQUEST, `No such endpoint: ${path}. POST /query.`);
  }
  if (request.method !== "POST") {
    return failure(405, BAD_REQUEST, "POST a JSON body: {sql, params} or {batch: [...]}.");
  }

  let body;
  try {
    body = await request.json();
  } catch {
    return failure(400, BAD_REQUEST, "The body is not JSON.");
  }

  const batch = Array.isArray(body?.batch);
  const statements = batch ? body.batch : [body];
  if (statements.length === 0 || !statements.every((s) => typeof s?.sql === "string" && (s.params === undefined || Array.isArray(s.params)))) {
    return failure(400, BAD_REQUEST, "Expected {sql: string, params?: array} or {batch: [{sql, params?}, ...]} with at least one statement.");
  }

  try {
    const prepared = statements.map((s) => db.prepare(s.sql).bind(...(s.params ?? [])));
    const results = batch ? await db.batch(prepared) : [await prepared[0].all()];
    return Response.json({
      result: results.map((r) => ({ results: r.results ?? [], success: r.success, meta: r.meta })),
      success: true,
      errors: [],
      messages: [],
    });
  } catch (error) {
    const message = String(error?.message ?? error);
    return failure(TRANSIENT.test(message) ? 503 : 400, SQL_ERROR, message);
  }
}

function failure(status, code, message) {
  return Response.json({ result: [], success: false, errors: [{ code, message }], messages: [] }, { status });
}
