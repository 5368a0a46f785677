"""The ``encoder`` backend: fine-tuned Hugging Face encoders with sliding windows (see ``backend.py``)."""
