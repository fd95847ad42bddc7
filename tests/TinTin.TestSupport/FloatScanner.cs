using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace TinTin.TestSupport
{
    /// <summary>
    /// Finds floating point in a compiled assembly: float opcodes in method bodies, float/double in
    /// fields, locals, signatures and member references, and references to Single/Double/Math.
    /// Used to prove the board-side integer code holds none.
    /// </summary>
    public static class FloatScanner
    {
        private static readonly HashSet<string> FloatOpcodes = new HashSet<string>
        {
            "ldc.r4", "ldc.r8", "conv.r4", "conv.r8", "conv.r.un", "ldelem.r4", "ldelem.r8", "stelem.r4",
            "stelem.r8", "ldind.r4", "ldind.r8", "stind.r4", "stind.r8", "ckfinite",
        };

        private static readonly Dictionary<int, OpCode> OneByte = new Dictionary<int, OpCode>();
        private static readonly Dictionary<int, OpCode> TwoByte = new Dictionary<int, OpCode>();

        static FloatScanner()
        {
            foreach (FieldInfo field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var op = (OpCode)field.GetValue(null);
                if (op.Size == 1) OneByte[op.Value & 0xFF] = op; else TwoByte[op.Value & 0xFF] = op;
            }
        }

        public static List<string> Scan(string assemblyPath)
        {
            var findings = new List<string>();
            using var stream = File.OpenRead(assemblyPath);
            using var pe = new PEReader(stream);
            MetadataReader md = pe.GetMetadataReader();
            var provider = new FloatSignatureProvider();

            foreach (TypeDefinitionHandle typeHandle in md.TypeDefinitions)
            {
                TypeDefinition type = md.GetTypeDefinition(typeHandle);
                string typeName = md.GetString(type.Namespace) + "." + md.GetString(type.Name);
                foreach (FieldDefinitionHandle fh in type.GetFields())
                {
                    FieldDefinition field = md.GetFieldDefinition(fh);
                    if (field.DecodeSignature(provider, null)) findings.Add("field " + typeName + "." + md.GetString(field.Name));
                }
                foreach (MethodDefinitionHandle mh in type.GetMethods())
                {
                    MethodDefinition method = md.GetMethodDefinition(mh);
                    string name = typeName + "." + md.GetString(method.Name);
                    MethodSignature<bool> signature = method.DecodeSignature(provider, null);
                    if (signature.ReturnType || signature.ParameterTypes.Contains(true)) findings.Add("signature " + name);
                    if (method.RelativeVirtualAddress == 0) continue;
                    MethodBodyBlock body = pe.GetMethodBody(method.RelativeVirtualAddress);
                    if (!body.LocalSignature.IsNil)
                    {
                        ImmutableArray<bool> locals = md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null);
                        if (locals.Contains(true)) findings.Add("locals " + name);
                    }
                    foreach (string opcode in Opcodes(body.GetILBytes()))
                        if (FloatOpcodes.Contains(opcode)) findings.Add("opcode " + opcode + " in " + name);
                }
            }
            foreach (MemberReferenceHandle rh in md.MemberReferences)
            {
                MemberReference reference = md.GetMemberReference(rh);
                bool usesFloat = reference.GetKind() == MemberReferenceKind.Method
                    ? Uses(reference.DecodeMethodSignature(provider, null))
                    : reference.DecodeFieldSignature(provider, null);
                if (usesFloat) findings.Add("reference " + md.GetString(reference.Name));
            }
            foreach (TypeReferenceHandle th in md.TypeReferences)
            {
                TypeReference type = md.GetTypeReference(th);
                string full = md.GetString(type.Namespace) + "." + md.GetString(type.Name);
                if (full is "System.Single" or "System.Double" or "System.Decimal" or "System.Math" or "System.MathF")
                    findings.Add("type reference " + full);
            }
            return findings;
        }

        private static bool Uses(MethodSignature<bool> s) => s.ReturnType || s.ParameterTypes.Contains(true);

        private static IEnumerable<string> Opcodes(byte[] il)
        {
            int at = 0;
            while (at < il.Length)
            {
                OpCode op = il[at] == 0xFE ? TwoByte[il[at + 1]] : OneByte[il[at]];
                at += op.Size;
                yield return op.Name;
                at += op.OperandType switch
                {
                    OperandType.InlineNone => 0,
                    OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                    OperandType.InlineVar => 2,
                    OperandType.InlineI8 or OperandType.InlineR => 8,
                    OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
                    _ => 4,
                };
            }
        }

        /// <summary>Decodes a signature to "does it mention float32 or float64 anywhere".</summary>
        private sealed class FloatSignatureProvider : ISignatureTypeProvider<bool, object>
        {
            public bool GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode is PrimitiveTypeCode.Single or PrimitiveTypeCode.Double;
            public bool GetArrayType(bool elementType, ArrayShape shape) => elementType;
            public bool GetByReferenceType(bool elementType) => elementType;
            public bool GetFunctionPointerType(MethodSignature<bool> signature) => Uses(signature);
            public bool GetGenericInstantiation(bool genericType, ImmutableArray<bool> typeArguments) => genericType || typeArguments.Contains(true);
            public bool GetGenericMethodParameter(object genericContext, int index) => false;
            public bool GetGenericTypeParameter(object genericContext, int index) => false;
            public bool GetModifiedType(bool modifier, bool unmodifiedType, bool isRequired) => unmodifiedType;
            public bool GetPinnedType(bool elementType) => elementType;
            public bool GetPointerType(bool elementType) => elementType;
            public bool GetSZArrayType(bool elementType) => elementType;
            public bool GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => false;
            public bool GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
            {
                TypeReference type = reader.GetTypeReference(handle);
                return reader.GetString(type.Namespace) == "System" && reader.GetString(type.Name) is "Single" or "Double" or "Decimal";
            }
            public bool GetTypeFromSpecification(MetadataReader reader, object genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
                => reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
        }
    }
}
