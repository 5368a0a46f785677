#!/usr/bin/env bash
# The main job on the offline default backend, from nothing: install, then train -> calibrate -> predict ->
# evaluate (+ an HTML report) on the bundled NIKL-format sample (train, then dev held out for evaluation, test for predictions). Writes runs/demo/.
source "$(dirname "$0")/_env.sh" report
S=src/koclassify/samples
OUT=runs/demo
set -x
# thresholds are tuned by 5-fold cross-validation on the training file, so dev stays unseen for evaluation
koclassify train "$S/nikl_train.jsonl" --out "$OUT/model" --calibrate cv --objective micro-f1
koclassify predict "$OUT/model" "$S/nikl_test.jsonl" --out "$OUT/test_submission.jsonl"
koclassify predict "$OUT/model" "$S/nikl_test.jsonl" --probs --out "$OUT/test_probs.jsonl"
koclassify evaluate "$OUT/model" "$S/nikl_dev.jsonl" --json
koclassify report "$OUT/model" "$S/nikl_dev.jsonl" --out "$OUT/report" --title "bundled NIKL sample: dev"
set +x
echo "--- first predictions (NIKL submission format):"
head -n 3 "$OUT/test_submission.jsonl"
