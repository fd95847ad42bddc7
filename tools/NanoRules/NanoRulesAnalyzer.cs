using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace TinTin.NanoRules
{
    /// <summary>
    /// Board-code rules the reference assemblies cannot enforce because the C# compiler accepts the
    /// code: it lowers to IL that nanoFramework 1.x (mscorlib 1.17.11, no generics) cannot load, or
    /// the house rules (DEVELOPERS.md) forbid it.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class NanoRulesAnalyzer : DiagnosticAnalyzer
    {
        const string Category = "nanoFramework";

        public static readonly DiagnosticDescriptor MultiDimensionalArray = new DiagnosticDescriptor(
            "NANO001", "Multi-dimensional array",
            "Multi-dimensional array '{0}': nanoFramework has no T[,] (rank > 1) arrays; use a flat array with computed indices or a jagged array",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor GenericDeclaration = new DiagnosticDescriptor(
            "NANO002", "Generic declaration",
            "Generic {0} '{1}': nanoFramework 1.x (mscorlib 1.17.11) cannot run user-defined generic types or methods; use object, arrays or one class per element type",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InterpolatedString = new DiagnosticDescriptor(
            "NANO003", "String interpolation",
            "String interpolation: house rule for board code (DEVELOPERS.md), use + or string.Format",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor Iterator = new DiagnosticDescriptor(
            "NANO004", "Iterator",
            "Iterator ('yield') in '{0}': the compiler turns it into a class implementing the generic IEnumerator<T>, which nanoFramework 1.x cannot load; return an array or write an IEnumerator class",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnsignedReinterpretation = new DiagnosticDescriptor(
            "NANO005", "Unchecked unsigned-to-signed reinterpretation",
            "Unchecked ({0}) of a {1} value: C# emits no IL conversion, so nanoCLR keeps the value tagged unsigned and later widens it as unsigned (-(int)u for u = 6 becomes 4294967290 as a long); write {2}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics =>
            ImmutableArray.Create(MultiDimensionalArray, GenericDeclaration, InterpolatedString, Iterator, UnsignedReinterpretation);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.EnableConcurrentExecution();
            context.RegisterSyntaxNodeAction(AnalyzeRank, SyntaxKind.ArrayRankSpecifier);
            context.RegisterSyntaxNodeAction(AnalyzeTypeParameters, SyntaxKind.TypeParameterList);
            context.RegisterSyntaxNodeAction(c => c.ReportDiagnostic(Diagnostic.Create(InterpolatedString, c.Node.GetLocation())),
                SyntaxKind.InterpolatedStringExpression);
            context.RegisterSyntaxNodeAction(AnalyzeYield, SyntaxKind.YieldReturnStatement, SyntaxKind.YieldBreakStatement);
            context.RegisterOperationAction(AnalyzeConversion, OperationKind.Conversion);
        }

        /// <summary>
        /// uint→int and ulong→long (same width, sign changes) compile to no IL instruction when
        /// unchecked; nanoCLR then widens the result as unsigned. The safe forms insert a real
        /// conversion: (int)(long)u emits conv.u8 then conv.i4; for ulong, compare or mask first.
        /// Constants are folded by the compiler and are safe.
        /// </summary>
        static void AnalyzeConversion(OperationAnalysisContext c)
        {
            var conversion = (IConversionOperation)c.Operation;
            if (conversion.IsChecked || conversion.ConstantValue.HasValue) return;
            SpecialType from = conversion.Operand.Type?.SpecialType ?? SpecialType.None;
            SpecialType to = conversion.Type?.SpecialType ?? SpecialType.None;
            if (from == SpecialType.System_UInt32 && to == SpecialType.System_Int32)
                c.ReportDiagnostic(Diagnostic.Create(UnsignedReinterpretation, conversion.Syntax.GetLocation(), "int", "uint", "(int)(long)value"));
            else if (from == SpecialType.System_UInt64 && to == SpecialType.System_Int64)
                c.ReportDiagnostic(Diagnostic.Create(UnsignedReinterpretation, conversion.Syntax.GetLocation(), "long", "ulong", "a value kept in long, or (long)(value & 0x7FFFFFFFFFFFFFFF) with the sign handled explicitly"));
        }

        static void AnalyzeRank(SyntaxNodeAnalysisContext c)
        {
            var rank = (ArrayRankSpecifierSyntax)c.Node;
            if (rank.Rank > 1)
                c.ReportDiagnostic(Diagnostic.Create(MultiDimensionalArray, rank.GetLocation(), (rank.Parent ?? rank).ToString()));
        }

        static void AnalyzeTypeParameters(SyntaxNodeAnalysisContext c)
        {
            SyntaxNode owner = c.Node.Parent;
            string kind, name;
            switch (owner)
            {
                case MethodDeclarationSyntax m: kind = "method"; name = m.Identifier.Text; break;
                case LocalFunctionStatementSyntax f: kind = "local function"; name = f.Identifier.Text; break;
                case DelegateDeclarationSyntax d: kind = "delegate"; name = d.Identifier.Text; break;
                case TypeDeclarationSyntax t: kind = t.Keyword.Text; name = t.Identifier.Text; break;
                default: kind = "declaration"; name = owner?.ToString() ?? ""; break;
            }
            c.ReportDiagnostic(Diagnostic.Create(GenericDeclaration, c.Node.GetLocation(), kind, name));
        }

        static void AnalyzeYield(SyntaxNodeAnalysisContext c)
        {
            SyntaxNode member = c.Node.Parent;
            while (member != null && !(member is MemberDeclarationSyntax) && !(member is LocalFunctionStatementSyntax)) member = member.Parent;
            string name = member is MethodDeclarationSyntax m ? m.Identifier.Text
                : member is LocalFunctionStatementSyntax f ? f.Identifier.Text
                : member is PropertyDeclarationSyntax p ? p.Identifier.Text : "?";
            c.ReportDiagnostic(Diagnostic.Create(Iterator, c.Node.GetLocation(), name));
        }
    }
}
