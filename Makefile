# LAPOR-Hub: `make run` starts the stack with a demo region; `make test` runs every test.
SHELL := /bin/bash
ROOT := $(abspath .)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
PYTHONPATH_ALL := services/contract:services/intake:services/routing:services/followup:services/notification:services/assessment

.PHONY: install run run-hubs run-network network-memory run-cluster cluster-failover stop status test test-unit bench fuzz lint logs outbox clean token signin-link signin-unlock hub-invite hub-join

install:
	@deploy/local/install.sh

run: install
	@deploy/local/stack.sh start
	@echo
	@echo "LAPOR-Hub is running (hub $${LAPOR_HUB_CODE:-ID}, demo region loaded)."
	@echo "  Citizen pages: http://127.0.0.1:$${LAPOR_HTTP_PORT:-8780}/  (report: /lapor, track: /lacak, public: /publik, statistics: /statistik)"
	@echo "  Officials:     http://127.0.0.1:$${LAPOR_HTTP_PORT:-8780}/petugas  (set a password first: make signin-link OFFICIAL=adm-buleleng,"
	@echo "                 open the printed one-time link, then sign in; other demo officials: lo-bll-pupr, nas-admin-1, spv-buleleng)"
	@echo "  API base URL:  http://127.0.0.1:$${LAPOR_HTTP_PORT:-8780}"
	@echo "  OpenAPI:       http://127.0.0.1:$${LAPOR_HTTP_PORT:-8780}/openapi.json"
	@echo "  Try:           curl -s http://127.0.0.1:$${LAPOR_HTTP_PORT:-8780}/openapi.json | head"
	@. deploy/local/env.sh && \
	  echo "  Prometheus:    http://127.0.0.1:$$LAPOR_PROMETHEUS_PORT/classic/alerts  (targets: /classic/targets, rules: /classic/rules)" && \
	  echo "  Mail sent:     $$LAPOR_RUN_DIR/sinks/mail/ (SMTP catcher on 127.0.0.1:$$LAPOR_MAIL_PORT)" && \
	  echo "  SMS sent:      http://127.0.0.1:$$LAPOR_SMS_PORT/sms (recording gateway; social replies: /social)" && \
	  echo "  Latest sent:   make outbox"
	@echo "  Stop with:     make stop"

run-hubs: install  ## three linked hubs: national ID, Bali 51, Buleleng 5108 (docs/hubs.md)
	@deploy/hubs/hubs.sh start

run-network: install  ## five linked hubs: ID, Bali 51 + Buleleng 5108, Sulawesi Selatan 73 + Luwu 7317 (docs/hubs.md)
	@deploy/hubs/hubs.sh start deploy/hubs/network.yml

network-memory:  ## RSS and PSS of each hub of make run-network, from /proc
	@deploy/hubs/hubs.sh memory deploy/hubs/network.yml

cluster-failover: install  ## the cluster failover run: two leader kills at 10 reports/s; fails on a lost or duplicated report
	@bash bench/run.sh bench/cluster_failover.py

run-cluster: install  ## one hub on a three-node RabbitMQ cluster (offset 60: http://127.0.0.1:9380; deploy/local/cluster.sh)
	@deploy/local/cluster.sh start

stop:
	@deploy/local/stack.sh stop
	@deploy/hubs/hubs.sh stop
	@deploy/hubs/hubs.sh stop deploy/hubs/network.yml
	@deploy/hubs/hubs.sh stop-all
	@deploy/local/cluster.sh stop >/dev/null

status:
	@deploy/local/stack.sh status
	@deploy/hubs/hubs.sh status-all

test: install
	@bash tests/run.sh

test-unit: install
	@PYTHONPATH=$(PYTHONPATH_ALL) $(PY) -m pytest -q tests/unit

bench: install
	@bash bench/run.sh

fuzz: install  ## schemathesis on a stack of its own (offset 170): every operation, 300 cases [EXAMPLES=300 SERVICE=intake]
	@$(PY) tests/fuzz/stack_fuzz.py --offset $${FUZZ_OFFSET:-170} --examples $${EXAMPLES:-300} \
	  $${SERVICE:+--service $$SERVICE}

lint: install
	@$(VENV)/bin/ruff check services tests bench deploy

hub-invite:  ## make hub-invite CODE=5171 [HUB=51 HUBS_FILE=deploy/hubs/hubs.yml]: a one-time token for hub CODE to join HUB
	@test -n "$(CODE)" || { echo "usage: make hub-invite CODE=<new hub's code> [HUB=<parent's code> HUBS_FILE=...]"; exit 2; }
	@if [ -n "$(HUB)" ]; then eval "$$(deploy/hubs/hubs.sh env $(HUB) $(HUBS_FILE))" && deploy/local/cli.sh routing hub-invite $(CODE) --hours $${HOURS:-24}; \
	 else deploy/local/cli.sh routing hub-invite $(CODE) --hours $${HOURS:-24}; fi

hub-join:  ## make hub-join CODE=5171 PARENT=http://127.0.0.1:10890 TOKEN=join_... OFFSET=291 [NAME=... REGION=5171=...]: this new hub joins PARENT and starts
	@test -n "$(CODE)" -a -n "$(PARENT)" -a -n "$(TOKEN)" -a -n "$(OFFSET)" || { echo "usage: make hub-join CODE=<new hub> PARENT=<parent's URL> TOKEN=<from make hub-invite> OFFSET=<port offset> [NAME=... REGION=CODE=NAME]"; exit 2; }
	@PYTHONPATH=services/contract $(PY) deploy/hubs/join.py --code "$(CODE)" --parent "$(PARENT)" --token "$(TOKEN)" \
	  --offset "$(OFFSET)" $(if $(NAME),--name "$(NAME)") $(if $(REGION),--region "$(REGION)")

token:  ## make token OFFICIAL=lo-bll-pupr [DAYS=30]: issue an official's token on the running stack
	@test -n "$(OFFICIAL)" || { echo "usage: make token OFFICIAL=<official_id> [DAYS=30]"; exit 2; }
	@deploy/local/cli.sh routing token $(OFFICIAL) --days $${DAYS:-30}

signin-link:  ## make signin-link OFFICIAL=lo-bll-pupr [HOURS=48]: a one-time link to set a password and sign in
	@test -n "$(OFFICIAL)" || { echo "usage: make signin-link OFFICIAL=<official_id> [HOURS=48]"; exit 2; }
	@deploy/local/cli.sh routing password-link $(OFFICIAL) --hours $${HOURS:-48} \
	  --base-url http://127.0.0.1:$${LAPOR_HTTP_PORT:-8780}

signin-unlock:  ## make signin-unlock OFFICIAL=lo-bll-pupr: lift an official's sign-in limit (audited as the operator)
	@test -n "$(OFFICIAL)" || { echo "usage: make signin-unlock OFFICIAL=<official_id>"; exit 2; }
	@deploy/local/cli.sh routing lift-limit $(OFFICIAL)

logs:  ## the last lines of every service's log (honours LAPOR_RUN_DIR)
	@. deploy/local/env.sh && tail -n 50 "$$LAPOR_RUN_DIR"/services/*.log

outbox:  ## what notification sent on the running demo stack: emails caught, SMS and social replies recorded
	@. deploy/local/env.sh && $(PY) deploy/local/outbox.py "$$LAPOR_RUN_DIR/sinks" --last $${LAST:-10}

clean: stop
	rm -rf .run
