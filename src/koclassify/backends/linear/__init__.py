"""The offline default backend: sparse TF-IDF features and logistic regression."""
