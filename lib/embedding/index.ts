export { type Embedder, l2Normalize, dot } from './embedder.ts';
export { LexicalEmbedder, contentWords, tokenize, type LexicalEmbedderOptions } from './lexical.ts';
export { OllamaEmbedder, type OllamaEmbedderOptions } from './ollama.ts';
