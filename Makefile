# kprobe-emu: set-up, demo and tests on Debian 12 (see README.md).
SHELL := /bin/bash
NODE_OK := $(shell node -e 'process.exit(+process.versions.node.split(".")[0] < 20 ? 1 : 0)' 2>/dev/null && echo yes)

.PHONY: demo test build deps check-node fuzz soak sweep bench fixtures clean distclean

# What the tool needs at run time: the npm packages, and Unicorn 2.1 (Debian's
# libunicorn2t64, fetched into lib/unicorn/ by scripts/fetch-unicorn.sh without installing
# anything). Where that fetch is impossible, the system's libunicorn2 (2.0.1) is the fallback.
deps: check-node
	@if [ ! -d node_modules/koffi ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
	@if [ -z "$$KPROBE_EMU_LIBUNICORN" ] && ! scripts/fetch-unicorn.sh; then \
	  echo "kprobe-emu: falling back to the system's Unicorn 2.0.1 (Debian's libunicorn2): call-heavy guests run several times slower, ppc64 floating-point compares are wrong (fcmpu/fcmpo always say equal), and make test expects 2.1"; \
	  if ! ldconfig -p 2>/dev/null | grep -q 'libunicorn\.so\.2'; then \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libunicorn2 >/dev/null; \
	    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libunicorn2 >/dev/null; \
	    else echo "kprobe-emu needs Unicorn and cannot install Debian's libunicorn2 (not root, no sudo)."; \
	         echo "Ask an administrator to run: apt-get install libunicorn2"; \
	         echo "or point KPROBE_EMU_LIBUNICORN at a libunicorn.so.2 you built."; exit 1; fi; \
	  fi; \
	fi

check-node:
	@if [ "$(NODE_OK)" != yes ]; then echo "kprobe-emu needs Node.js 20 or newer (found: $$(node --version 2>/dev/null || echo none))"; exit 1; fi

build: deps
	@npm run -s build
	@chmod +x dist/src/cli.js

# The main job on bundled fixtures.
demo: build
	@echo "\$$ kprobe-emu run --profile -e 'p:fibcall fib n=\$$arg1:u32' fixtures/build/x86_64/fib 4"
	@npx --no-install kprobe-emu run --profile -e 'p:fibcall fib n=$$arg1:u32' fixtures/build/x86_64/fib 4
	@echo "\$$ kprobe-emu run --profile -e 'r:fibret fib \$$retval:u32' fixtures/build/ppc64/fib 4"
	@npx --no-install kprobe-emu run --profile -e 'r:fibret fib $$retval:u32' fixtures/build/ppc64/fib 4
	@echo '$$ kprobe-emu run fixtures/build/ppc64/threads'
	@npx --no-install kprobe-emu run fixtures/build/ppc64/threads
	@echo '$$ kprobe-emu run fixtures/build/i386/segv_write   (a guest fault, reported as Linux would end it)'
	@npx --no-install kprobe-emu run fixtures/build/i386/segv_write; echo "exit status $$?"
	@echo "\$$ kprobe-emu run -e 'p:t target v=\$$arg1:u32' -e 'r:tr target \$$retval:u32' fixtures/ia64/build/ktest 30   (IA-64)"
	@npx --no-install kprobe-emu run -e 'p:t target v=$$arg1:u32' -e 'r:tr target $$retval:u32' fixtures/ia64/build/ktest 30

# The linter, the formatter's check and the import-cycle check, then the suite.
test: build
	@npm run -s lint
	@npx vitest run

bench: build
	@node --expose-gc dist/bench/run.js

# The fuzz suites with 10,000 ELF mutations (make test runs 300 with the same seed).
fuzz: build
	@FUZZ_RUNS=10000 npx vitest run test/fuzz

# Every fixture under random probe sets, 20 rounds in one process: outputs, leaks, memory.
soak: build
	@node --expose-gc dist/bench/soak.js

# The corpus under probes on every instruction: each case and variant at quanta 1, 7 and 1000
# and under a budget of its own count, against its unprobed run (make test runs x86_64 at 1000).
sweep: build
	@KPROBE_EMU_SWEEP=full npx vitest run test/kprobes/corpus-transparency.test.ts

# Rebuild the guest fixtures (needs gcc, gcc-i686-linux-gnu, gcc-powerpc64-linux-gnu).
fixtures:
	$(MAKE) -C fixtures all check

clean:
	rm -rf dist

# Also forget the fetched Unicorn (make fetches it again).
distclean: clean
	rm -rf lib/unicorn
