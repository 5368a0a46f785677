"""What a row carries besides its text: fields in the text, label priors from a metadata column, leak-free splits."""
