.PHONY: run test bench
run:  ## install everything, load the demo data, run web + worker + beat
	bash scripts/run.sh
test:  ## the whole suite: ruff, migrations check, pytest (unit, integration, browser)
	bash scripts/test.sh
bench:  ## customer list benchmark (see bench/README.md)
	bash scripts/bench.sh
