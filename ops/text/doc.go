// Package text holds the string operators: StringNormalizer,
// TfIdfVectorizer, and the opset-20 RegexFullMatch, StringConcat and
// StringSplit.
package text
