# Closeloop: the two commands are `make up` (run locally) and `make test` (every check).
.PHONY: up test venv lint fmt bench clean

up: venv
	scripts/up.sh

test: venv
	scripts/test.sh

# The project-local Python venv: the AWS emulator (moto), cargo-lambda, cfn-lint, SAM CLI.
venv: .venv/.installed

.venv/.installed: requirements-dev.txt
	scripts/venv.sh
	touch $@

# Benchmarks: prints `BENCH <name> <value>` lines (see the README).
bench: venv
	scripts/bench.sh

lint: venv
	.venv/bin/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 .venv/bin/sam validate --lint

fmt:
	cargo fmt --all

clean:
	rm -rf .local
