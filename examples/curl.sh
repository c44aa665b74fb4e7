#!/usr/bin/env bash
# CareGraph with curl, step by step: a token from the demo credentials, a free-form query, a
# trusted document sent by its id (and in the APQ form), the partner API key, and what a refusal
# looks like. After `npm start`, from anywhere in the repository:
#
#   bash examples/curl.sh
#
# Each step prints its request's answer. CAREGRAPH_URL and CAREGRAPH_DATA_DIR (where
# demo-credentials.json is; .caregraph by default) point it elsewhere. Every command below also
# works pasted into a shell one by one, once the variables of step 0 are set.
set -euo pipefail
cd "$(dirname "$0")/.."

# 0. The demo credentials `npm start` writes (tokens last 12 hours; each start issues a new key).
CREDENTIALS="${CAREGRAPH_DATA_DIR:-.caregraph}/demo-credentials.json"
[ -f "$CREDENTIALS" ] || { echo "$CREDENTIALS not found: run npm start first" >&2; exit 1; }
demo() { node -p "require(require('node:path').resolve(process.argv[1]))$1" "$CREDENTIALS"; }
URL="${CAREGRAPH_URL:-$(demo .gateway)}"
TOKEN=$(demo .principals.tenantAdminA.token)       # tenant A's admin
TENANT=$(demo .principals.tenantAdminA.tenantId)
API_KEY=$(demo .principals.partner.apiKey)          # the demo partner's key: tenant:read billing:read telemetry:read

step() { printf '\n== %s\n' "$1"; }
# Pretty-prints a JSON answer (node is there wherever npm is; jq would do as well).
pretty() { node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{try{console.log(JSON.stringify(JSON.parse(s),null,2))}catch{console.log(s)}})'; }
# The id of a trusted document: sha256 of the file's exact bytes (sha256sum on Linux, shasum on macOS).
document_id() { echo "sha256:$( (sha256sum "$1" 2>/dev/null || shasum -a 256 "$1") | cut -d' ' -f1)"; }

step '1. A free-form query as tenant A'"'"'s admin (Bearer token; a tenant user acts in its own tenant)'
curl -s "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" --data @- <<JSON | pretty
{ "query": "query Clinic(\$id: ID!) { tenant(id: \$id) { name subscription { plan { name } } clinicalSummary { patientCount noShowRate } } }",
  "variables": { "id": "$TENANT" } }
JSON
# noShowRate is null with ENTITLEMENT_REQUIRED (tenant A's standard plan lacks advanced_analytics):
# the rest of the answer is there, HTTP 200.

step '2. The same dashboard as a trusted document, by documentId'
DASHBOARD_ID=$(document_id schema/operations/tenant-dashboard.graphql)
# The same id as schema/operations/manifest.json lists for TenantDashboard (npm run compose writes it).
echo "documentId $DASHBOARD_ID"
curl -s "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
  -d "{\"documentId\":\"$DASHBOARD_ID\",\"operationName\":\"TenantDashboard\",\"variables\":{\"tenantId\":\"$TENANT\"}}" | pretty

step '3. The same in the APQ form (Apollo clients send this): the bare hex as sha256Hash'
curl -s "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
  -d "{\"extensions\":{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"${DASHBOARD_ID#sha256:}\"}},\"variables\":{\"tenantId\":\"$TENANT\"}}" | pretty

step '4. The partner API key at partner level (no x-tenant-id): its attributed tenants'
curl -s "$URL" -H 'content-type: application/json' -H "x-api-key: $API_KEY" \
  -d "{\"documentId\":\"$(document_id schema/operations/partner-tenants.graphql)\",\"variables\":{\"first\":5}}" | pretty

step '5. The partner key inside tenant A (x-tenant-id): its plan and health, no clinical data'
curl -s "$URL" -H 'content-type: application/json' -H "x-api-key: $API_KEY" -H "x-tenant-id: $TENANT" \
  -d "{\"documentId\":\"$(document_id schema/operations/partner-tenant-usage.graphql)\",\"variables\":{\"tenantId\":\"$TENANT\"}}" | pretty

step '6. A refusal: an id no trusted document has (HTTP 400, PERSISTED_QUERY_NOT_FOUND, nothing ran)'
curl -s -w '\nHTTP %{http_code}\n' "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
  -d "{\"documentId\":\"sha256:$(printf '0%.0s' {1..64})\"}"
