# The two commands of the quick start: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo/project.jhsq
CODEBOOKS := bronstein professional_topics pupil_topics  # shipped with jhs-qual; a path to a YAML file works too
JHS := $(BIN)/jhs-qual

.PHONY: demo test setup clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Builds the demo project once (later runs keep it, and the coding done in it),
# brings in any new sample files, and opens the workbench (prints a summary
# instead when not on a terminal).
demo: $(STAMP)
	@mkdir -p demo
	@test -f $(DEMO) || $(JHS) init $(DEMO) $(addprefix --codebook ,$(CODEBOOKS))
	@$(JHS) codebook load --project $(DEMO) $(CODEBOOKS)
	@$(JHS) import --project $(DEMO) --attributes transcripts_sample/attributes.csv transcripts_sample
	@if [ -t 0 ] && [ -t 1 ]; then \
		$(JHS) tui --project $(DEMO); \
	else \
		echo; $(JHS) transcripts --project $(DEMO); \
		echo; $(JHS) codebook show --project $(DEMO); \
		echo; echo "Not on a terminal, so no workbench. On one: $(JHS) tui --project $(DEMO)"; \
	fi

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo build *.egg-info src/*.egg-info
