# Closeloop: the two commands are `make up` (run locally) and `make test` (every check).
.PHONY: up test venv lint fmt bench clean deploy

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

# Deploy to your AWS account: sam build needs cargo-lambda and zig from the project venv.
deploy: venv
	PATH="$(CURDIR)/.venv/bin:$$PATH" SAM_CLI_TELEMETRY=0 sam build
	PATH="$(CURDIR)/.venv/bin:$$PATH" SAM_CLI_TELEMETRY=0 sam deploy --guided

lint: venv
	.venv/bin/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 .venv/bin/sam validate --lint

fmt:
	cargo fmt --all

clean:
	rm -rf .local
