"""The text model: run time (onnxruntime + tokenizers), the synthetic corpus, training and retraining."""
