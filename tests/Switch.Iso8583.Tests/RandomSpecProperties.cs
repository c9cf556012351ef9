using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>FsCheck over random specs: every composition of codec parts round-trips and survives mutation.</summary>
public sealed class RandomSpecProperties
{
    private static MessageSpec Load(int seed)
    {
        string json = RandomSpecs.Json(seed);
        try
        {
            return SpecJson.Parse(Encoding.UTF8.GetBytes(json), $"random-{seed}.json");
        }
        catch (IsoFormatException ex)
        {
            throw new InvalidOperationException($"generated spec was refused: {ex.Message}\n{json}", ex);
        }
    }

    [Fact]
    public void Random_messages_of_random_specs_round_trip()
    {
        var seeds = Gen.Choose(0, int.MaxValue).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), Prop.ForAll(seeds, seed =>
        {
            var spec = Load(seed);
            for (int m = 0; m < 5; m++)
            {
                var built = RandomMessages.Build(spec, seed + m);
                byte[] wire;
                try
                {
                    wire = spec.Encode(built);
                }
                catch (IsoFormatException ex)
                {
                    throw new InvalidOperationException($"valid message refused: {ex.Message}\nspec {RandomSpecs.Json(seed)}\nmessage {IsoJson.ToJson(built)}", ex);
                }
                var decoded = spec.Decode(wire);
                string json = IsoJson.ToJson(decoded);
                Assert.True(IsoJson.ToJson(built) == json, $"spec {RandomSpecs.Json(seed)}\nbuilt   {IsoJson.ToJson(built)}\ndecoded {json}");
                Assert.Equal(wire, spec.Encode(decoded));
                Assert.Equal(wire, spec.Encode(IsoJson.Parse(json, spec)));
            }
        }));
    }

    [Fact]
    public void Mutated_messages_of_random_specs_only_raise_format_errors()
    {
        var seeds = Gen.Choose(0, int.MaxValue).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(150).WithQuietOnSuccess(true), Prop.ForAll(seeds, seed =>
        {
            var spec = Load(seed);
            var rnd = new Random(seed);
            byte[] wire = spec.Encode(RandomMessages.Build(spec, seed));
            for (int n = 0; n < wire.Length; n++) FuzzTests.OnlyFormatErrors(spec, wire[..n]);
            for (int i = 0; i < 200; i++)
            {
                byte[] m = (byte[])wire.Clone();
                if (m.Length == 0) break;
                for (int k = rnd.Next(1, 3); k > 0; k--) m[rnd.Next(m.Length)] = (byte)rnd.Next(256);
                FuzzTests.OnlyFormatErrors(spec, m);
            }
        }));
    }
}
