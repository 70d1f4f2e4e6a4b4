# The two commands a person needs: `make run` and `make test`.
# Both build .venv on first use (see packaging/bootstrap.py) and install the starter models.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hearth-bootstrap

.PHONY: run test setup models lint clean bundle appimage

$(STAMP): pyproject.toml packaging/bootstrap.py
	$(PYTHON) packaging/bootstrap.py
	touch $(STAMP)

setup: $(STAMP)

models: setup
	$(BIN)/hearth models install-starter

run: models
	$(BIN)/hearth

lint: setup
	$(BIN)/ruff check desktop tests packaging
	$(BIN)/lint-imports

test: models lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Installers (packaging/README.md). BUILD can point elsewhere: make appimage BUILD=/tmp/b
BUILD  ?= build
bundle: setup
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath $(BUILD)/dist --workpath $(BUILD)/pyinstaller \
		packaging/hearth.spec

appimage: bundle
	bash packaging/linux/build_runtime.sh $(BUILD)/appimage-runtime
	$(BIN)/python packaging/linux/make_appimage.py $(BUILD)/dist/Hearth --exec Hearth \
		--runtime $(BUILD)/appimage-runtime \
		--desktop packaging/linux/io.github.hearth.Hearth.desktop --icon assets/icon.png \
		--metainfo packaging/linux/io.github.hearth.Hearth.metainfo.xml -o $(BUILD)/Hearth-x86_64.AppImage

clean:
	rm -rf $(VENV) $(BUILD)/dist $(BUILD)/pyinstaller
