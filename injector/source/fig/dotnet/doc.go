// Package dotnet reads and writes values exactly as .NET and Newtonsoft.Json
// do, so that fig-injector's output matches what a .NET application using
// Fig.Client would see and Fig receives what Fig.Client would send. It is
// pure: no I/O, no HTTP, no logging, only the standard library.
//
// Its jobs, each in its own file:
//
//   - numbers, time spans, ticks, UTF-16 lengths and Uri.EscapeDataString
//     as the .NET runtime formats them: format.go;
//   - DateTime as Newtonsoft reads it (strict ISO, Microsoft form, loose
//     fallback) and as .NET and Newtonsoft write it: dates.go;
//   - reading JSON scalars into .NET types as Newtonsoft binds them, and
//     Convert.ToString of what it reads into object: newtonsoft.go;
//   - splitting JSON objects and arrays in document order with
//     case-insensitive property binding: jsonread.go;
//   - flattening a JSON setting into configuration keys as Fig.Client's
//     JsonValueParser does: jsonflat.go;
//   - writing JSON exactly as Newtonsoft writes it ("$type" first, .NET
//     number formats, Newtonsoft's escaping): jsonwrite.go.
package dotnet
