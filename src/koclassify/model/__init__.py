"""A classifier and its directory: Classifier (classifier), the model directory format (directory), the model card,
scikit-learn conventions, ONNX export."""
