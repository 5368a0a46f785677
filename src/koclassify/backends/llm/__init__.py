"""``llm``: classify by the probability a causal LM gives each label's word after a prompt (LoRA / QLoRA)."""
