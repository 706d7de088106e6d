# The two commands of the README. Both set up everything they need first.
.PHONY: run test setup train bench-search bench-nlu bench-bot bench-wechat

setup:
	bash scripts/bootstrap.sh

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

bench-search: setup
	.venv/bin/python bench/search_bench.py

train: setup
	bash scripts/train.sh

bench-nlu: train
	.venv/bin/python bench/nlu_bench.py

bench-bot: train
	.venv/bin/python bench/bot_speed_bench.py

bench-wechat: train
	.venv/bin/python bench/wechat_bench.py
