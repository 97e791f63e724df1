#!/usr/bin/env bash
# Load test of paysim's Huifu query path with wrk: one signed request (the official Go
# SDK's captured query) sent over and over; each answer costs paysim one RSA-2048
# verification and one signature. Needs wrk (Debian: apt-get install wrk).
#   bench/load.sh [DURATION] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
conns=${2:-16}
addr=127.0.0.1:8790
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/paysim" ./cmd/paysim
"$tmp/paysim" --addr "$addr" --clock virtual --log-level warn >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://$addr/__paysim/health" >/dev/null && break; sleep 0.1; done
curl -sf -XPOST "http://$addr/__paysim/orders" \
  -d '{"provider":"huifu","merchant":"6666000100000002","id":"pay202611220001","amount":"1.00","fields":{"req_date":"20261122"}}' >/dev/null
vector=testdata/vectors/requests/huifu--huifu-official-go-sdk-1.0.31--v3-trade-payment-scanpay-query.json
go run ./bench/vectorbody "$vector" >"$tmp/body.json"
cat >"$tmp/post.lua" <<LUA
local f = io.open("$tmp/body.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/json"
LUA
echo "== signed Huifu query, $conns connections, $duration"
wrk -t2 -c"$conns" -d"$duration" --latency -s "$tmp/post.lua" "http://$addr/v3/trade/payment/scanpay/query"
echo "== bare control-plane GET /__paysim/health (no signing), same settings"
wrk -t2 -c"$conns" -d"$duration" "http://$addr/__paysim/health"
