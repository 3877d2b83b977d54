// Package text holds the string operators (StringNormalizer, TfIdfVectorizer, ...).
package text
